"""The four credential types: validation rules, stable vct, type metadata, schemas."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from govchain.chain.types import LevelOfAssurance
from govchain.credentials import ClaimValidationError, _samples, credential_type, credential_types
from govchain.credentials.errors import UnknownCredentialTypeError
from govchain.credentials.sd_jwt import SdArray, SdObject
from govchain.credentials.types import (
    CitizenId,
    DangerousDogPermit,
    LandlordConfirmation,
    StreetMusicPermit,
    TimeWindow,
)

TODAY = date(2026, 6, 15)


def test_each_type_has_a_stable_vct_and_bilingual_metadata() -> None:
    assert [t.vct for t in credential_types()] == [
        "https://vct.govchain.de/buergerid/v1",
        "https://vct.govchain.de/gefaehrlicher-hund/v1",
        "https://vct.govchain.de/strassenmusik/v1",
        "https://vct.govchain.de/wohnungsgeberbestaetigung/v1",
    ]
    for ctype in credential_types():
        meta = ctype.type_metadata()
        assert meta["vct"] == ctype.vct
        assert {d["locale"] for d in meta["display"]} == {"de-DE", "en-US"}
        for claim in meta["claims"]:
            labels = {d["locale"]: d["label"] for d in claim["display"]}
            assert labels["de-DE"] and labels["en-US"]
            assert claim["sd"] in ("always", "never")
        schema = ctype.json_schema()
        assert schema["$schema"].endswith("2020-12/schema") and schema["type"] == "object"
        assert set(schema["required"]) <= set(schema["properties"])
    with pytest.raises(UnknownCredentialTypeError):
        credential_type("https://vct.example/unknown")


def test_the_disclosure_frame_follows_the_metadata() -> None:
    dog = DangerousDogPermit.instance().frame
    assert dog.members["permit_number"] is False
    holder = dog.members["holder"]
    assert isinstance(holder, SdObject) and holder.members["birth_date"] is True
    landlord = LandlordConfirmation.instance().frame.members["landlord"]
    assert isinstance(landlord, SdObject) and landlord.disclosable  # recursive disclosure
    residents = LandlordConfirmation.instance().frame.members["residents"]
    assert isinstance(residents, SdArray) and residents.element is True
    subjects = CitizenId.instance().frame.members["pairwise_subjects"]
    assert isinstance(subjects, SdObject) and subjects.others is True
    sd_never = {
        tuple(c["path"])
        for c in CitizenId.instance().type_metadata()["claims"]
        if c["sd"] == "never"
    }
    assert ("level_of_assurance",) in sd_never  # a service's acr must always be readable


def _broken(ctype: Any, record: Any, **changes: Any) -> list[str]:
    data = record.model_dump()
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    with pytest.raises(ClaimValidationError) as refused:
        ctype.instance().parse(data)
    return refused.value.problems


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"holder__birth_date": TODAY - timedelta(days=17 * 365)}, "18 years"),
        ({"role": "leader"}, "keeper_name"),
        ({"dog__chip_number": "12345"}, "chip_number"),
        ({"valid_until": TODAY - timedelta(days=60)}, "after valid_from"),
        ({"insurance__valid_until": TODAY - timedelta(days=90)}, "insurance"),
        ({"extra_claim": "x"}, "extra"),
    ],
)
def test_dog_permit_rules(changes: dict[str, Any], problem: str) -> None:
    problems = _broken(DangerousDogPermit, _samples.dog_permit(TODAY), **changes)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"landlord__owner_name": None}, "owner"),
        ({"landlord_identity_loa": 1}, "substanziell"),
        ({"residents": []}, "residents"),
        ({"dwelling__postal_code": "52062!"}, "postal_code"),
    ],
)
def test_landlord_confirmation_rules(changes: dict[str, Any], problem: str) -> None:
    problems = _broken(LandlordConfirmation, _samples.landlord_confirmation(TODAY), **changes)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"group_size": 1}, "group_size"),
        ({"date_to": TODAY - timedelta(days=5)}, "date_to"),
        ({"zones": []}, "zones"),
        ({"max_minutes_per_spot": 0}, "max_minutes_per_spot"),
    ],
)
def test_street_music_rules(changes: dict[str, Any], problem: str) -> None:
    problems = _broken(StreetMusicPermit, _samples.street_music_permit(TODAY), **changes)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="end after it starts"):
        TimeWindow(start=time(12), end=time(10))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"level_of_assurance": 3, "enrolment__method": "app_identity_check"}, "gives level"),
        ({"nationalities": ["deu"]}, "alpha-2"),
        ({"enrolment__time": "2026-01-01T10:00:00"}, "time zone"),
    ],
)
def test_citizen_id_rules(changes: dict[str, Any], problem: str) -> None:
    problems = _broken(CitizenId, _samples.citizen_id(TODAY), **changes)
    assert any(problem in p for p in problems), problems


def test_the_issuer_level_a_citizen_id_needs_is_the_level_it_asserts() -> None:
    ctype = CitizenId.instance()
    assert ctype.required_issuer_loa({"level_of_assurance": 2}) is LevelOfAssurance.SUBSTANTIAL
    assert ctype.required_issuer_loa({}) is LevelOfAssurance.HIGH
    assert DangerousDogPermit.instance().required_issuer_loa({}) is LevelOfAssurance.SUBSTANTIAL
    assert StreetMusicPermit.instance().required_issuer_loa({}) is None
