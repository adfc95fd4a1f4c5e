"""The questionnaire's validation, the development identity and the CSRF guard: every
refusal names the field and says what is wrong in English and in German."""

from __future__ import annotations

from typing import Any

import pytest

from govchain.errors import SettingsError
from govchain.platform.ask._csrf import CsrfGuard
from govchain.platform.ask._identity import DevIdentities, parse_dev_identity
from govchain.platform.ask.errors import (
    CsrfTokenInvalidError,
    CsrfTokenMissingError,
    DevIdentityError,
    DevIdentityRefusedError,
    InvalidInputError,
    NotAuthenticatedError,
)
from govchain.platform.ask.schemas import EntryIn, ReturnIn, ReviewIn, parse_input, parse_json
from govchain.platform.ask.types import Medium, RetentionClass, Role, VolumeUnit
from tests.platform.ask.conftest import entry


def test_a_valid_questionnaire_is_read_as_officials_type_it() -> None:
    data = parse_input(
        EntryIn,
        entry(volume_amount="2,5", title="  Hunde  ", contact_email="", last_year=2020),
    )
    assert data.volume_amount == pytest.approx(2.5)
    assert data.medium is Medium.HYBRID and data.volume_unit is VolumeUnit.RUNNING_METRES
    assert data.title == "Hunde"
    assert data.contact_email is None
    assert data.last_year == 2020


BAD: list[tuple[dict[str, Any], str, str, str]] = [
    ({"title": None}, "title", "title is required", "Titel ist ein Pflichtfeld"),
    ({"title": ""}, "title", "title must not be empty", "Titel darf nicht leer sein"),
    (
        {"title": "x" * 201},
        "title",
        "at most 200 characters",
        "Titel darf höchstens 200 Zeichen lang sein",
    ),
    (
        {"volume_amount": -3},
        "volume_amount",
        "volume_amount must not be negative (got -3)",
        "Jahresumfang darf nicht negativ sein (angegeben: -3)",
    ),
    (
        {"volume_amount": "viel"},
        "volume_amount",
        "volume_amount must be a number",
        "Jahresumfang muss eine Zahl sein",
    ),
    (
        {"volume_amount": "1.2345"},
        "volume_amount",
        "at most 3 decimal places",
        "höchstens 3 Nachkommastellen",
    ),
    (
        {"medium": "cd"},
        "medium",
        "medium must be one of 'paper', 'digital' or 'hybrid' (got 'cd')",
        "Form (Papier/Digital/Hybrid) muss einer dieser Werte sein: 'paper', 'digital' oder "
        "'hybrid' (angegeben: 'cd')",
    ),
    (
        {"retention_years": 121},
        "retention_years",
        "retention_years must be at most 120 (got 121)",
        "Aufbewahrungsfrist darf höchstens 120 sein (angegeben: 121)",
    ),
    (
        {"retention_years": -1},
        "retention_years",
        "retention_years must not be negative (got -1)",
        "Aufbewahrungsfrist darf nicht negativ sein",
    ),
    (
        {"retention_years": "zehn"},
        "retention_years",
        "retention_years must be a whole number",
        "Aufbewahrungsfrist muss eine ganze Zahl sein",
    ),
    (
        {"retention_trigger": "sometime"},
        "retention_trigger",
        "retention_trigger must be one of 'closing' or 'event'",
        "Fristbeginn muss einer dieser Werte sein",
    ),
    (
        {"medium": "paper", "volume_unit": "gb"},
        "volume_unit",
        "'gb' does not fit paper files",
        "Einheit GB passt nicht zu Papierakten",
    ),
    (
        {"medium": "digital", "volume_unit": "lfm"},
        "volume_unit",
        "'lfm' does not fit digital files",
        "Einheit lfm passt nicht zu digitalen Akten",
    ),
    (
        {"volume_unit": "files", "volume_amount": 2.5},
        "volume_amount",
        "whole number of files (got 2.5)",
        "ganze Zahl von Akten sein (angegeben: 2,5)",
    ),
    (
        {"first_year": 2010, "last_year": 2005},
        "last_year",
        "last_year 2005 is before first_year 2010",
        "Laufzeit bis 2005 liegt vor Laufzeit von 2010",
    ),
    (
        {"first_year": 1700},
        "first_year",
        "first_year must be at least 1800 (got 1700)",
        "Laufzeit von muss mindestens 1800 sein",
    ),
    (
        {"protection_period_years": 200},
        "protection_period_years",
        "at most 120",
        "Schutzfrist darf höchstens 120 sein",
    ),
    (
        {"file_plan_number": "=cmd|calc"},
        "file_plan_number",
        "may contain only letters, digits",
        "Aktenplankennzeichen '=cmd|calc' darf nur Buchstaben, Ziffern",
    ),
    (
        {"contact_email": "keine-adresse"},
        "contact_email",
        "'keine-adresse' is not an e-mail address",
        "E-Mail 'keine-adresse' ist keine E-Mail-Adresse",
    ),
    (
        {"colour": "blau"},
        "colour",
        "colour is not a known field",
        "colour ist kein bekanntes Feld",
    ),
    (
        {"record_type": None},
        "record_type",
        "record_type is required",
        "Aktenart ist ein Pflichtfeld",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field", "en", "de"), BAD, ids=[f"{b[1]}-{b[2][:25]}" for b in BAD]
)
def test_each_bad_answer_is_refused_with_a_precise_message(
    overrides: dict[str, Any], field: str, en: str, de: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_input(EntryIn, entry(**overrides))
    problems = {p.field: p for p in caught.value.problems}
    assert field in problems, caught.value.problems
    assert en in problems[field].message
    assert de in problems[field].message_de
    assert caught.value.status == 422 and caught.value.code == "invalid-input"


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_input(EntryIn, entry(title=None, volume_amount=-1, medium="cd", retention_years=999))
    assert {p.field for p in caught.value.problems} == {
        "title",
        "volume_amount",
        "medium",
        "retention_years",
    }
    assert "Titel ist ein Pflichtfeld" in caught.value.message_de


def test_a_body_that_is_not_a_json_object_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_json(EntryIn, b"{not json")
    assert caught.value.problems[0].message_de == "die Anfrage ist kein gültiges JSON"
    with pytest.raises(InvalidInputError) as caught:
        parse_json(EntryIn, b"[1, 2]")
    assert caught.value.problems[0].message == "the body must be a JSON object"


def test_review_needs_a_decision_and_return_needs_a_note() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_input(ReviewIn, {"archival_value": "pending"})
    assert "ja, nein oder teilweise" in caught.value.problems[0].message_de
    with pytest.raises(InvalidInputError) as caught:
        parse_input(ReviewIn, {"archival_value": "maybe"})
    assert caught.value.problems[0].field == "archival_value"
    with pytest.raises(InvalidInputError) as caught:
        parse_input(ReturnIn, {"note": "   "})
    assert caught.value.problems[0].message_de == "Vermerk darf nicht leer sein"


def test_retention_classes_cover_0_to_120_years_without_gaps() -> None:
    assert [RetentionClass.of(y) for y in (0, 5, 6, 10, 11, 30, 31, 120)] == [
        RetentionClass.UP_TO_5,
        RetentionClass.UP_TO_5,
        RetentionClass.UP_TO_10,
        RetentionClass.UP_TO_10,
        RetentionClass.UP_TO_30,
        RetentionClass.UP_TO_30,
        RetentionClass.OVER_30,
        RetentionClass.OVER_30,
    ]
    assert RetentionClass.UP_TO_5.label_de == "bis 5 Jahre"


def test_the_development_identity_names_tenant_official_and_role() -> None:
    official = parse_dev_identity("aachen/anna.schmidt/archivist")
    assert (official.tenant, official.name, official.role) == (
        "aachen",
        "anna.schmidt",
        Role.ARCHIVIST,
    )
    assert parse_dev_identity("soest.ordnungsamt/kai").role is Role.OFFICIAL


@pytest.mark.parametrize(
    ("value", "fragment_de"),
    [
        ("aachen", "zwei oder drei"),
        ("a/b/c/d", "zwei oder drei"),
        ("Aachen!/anna", "der Mandant 'Aachen!'"),
        ("aachen/anna schmidt", "die Kennung 'anna schmidt'"),
        ("aachen/anna/mayor", "die Rolle 'mayor' ist unbekannt"),
    ],
)
def test_a_malformed_development_identity_is_refused(value: str, fragment_de: str) -> None:
    with pytest.raises(DevIdentityError) as caught:
        DevIdentities(development=True).identify(value)
    assert fragment_de in caught.value.message_de
    assert caught.value.status == 400 and caught.value.code == "dev-identity-malformed"


def test_the_development_identity_is_refused_outside_development() -> None:
    production = DevIdentities(development=False)
    with pytest.raises(DevIdentityRefusedError):
        production.identify("aachen/anna")
    with pytest.raises(DevIdentityRefusedError):
        production.identify(None, cookie="aachen/anna")
    with pytest.raises(NotAuthenticatedError) as caught:
        production.identify(None)
    assert "noch nicht verfügbar" in caught.value.message_de
    with pytest.raises(NotAuthenticatedError):
        DevIdentities(development=True).identify("  ")


def test_csrf_tokens_must_match_the_cookie_and_carry_our_signature() -> None:
    guard = CsrfGuard(b"k" * 32)
    token = guard.token_for(None)
    assert guard.token_for(token) == token  # a valid cookie is kept
    guard.verify(token, token)
    with pytest.raises(CsrfTokenMissingError):
        guard.verify(None, token)
    with pytest.raises(CsrfTokenMissingError):
        guard.verify(token, "")
    with pytest.raises(CsrfTokenInvalidError):
        guard.verify(token, guard.token_for(None))
    forged = CsrfGuard(b"x" * 32).token_for(None)
    with pytest.raises(CsrfTokenInvalidError):
        guard.verify(forged, forged)  # equal, but not signed by us
    with pytest.raises(SettingsError):
        CsrfGuard(b"too short")
