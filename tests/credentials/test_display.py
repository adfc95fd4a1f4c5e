"""Claims in German, the one formatting the wallet's consent page and the verifier share."""

from __future__ import annotations

from typing import Any

import pytest

from govchain.chain.types import LevelOfAssurance
from govchain.credentials.display import (
    claim_label_de,
    claim_path_text,
    format_claim_value_de,
)
from govchain.credentials.sd_jwt import ClaimPath
from govchain.credentials.types import CitizenId, DangerousDogPermit, StreetMusicPermit

DOG = DangerousDogPermit.vct


@pytest.mark.parametrize(
    ("vct", "path", "value", "expected"),
    [
        (DOG, ("role",), "keeper", "Halter/in"),
        (DOG, ("role",), "leader", "Führende/r"),
        (DOG, ("role",), "other", "other"),
        (DOG, ("exemptions",), {"muzzle": False, "leash": False}, "Maulkorb: nein, Leine: nein"),
        (DOG, ("exemptions",), {"muzzle": True, "leash": False}, "Maulkorb: ja, Leine: nein"),
        (DOG, ("exemptions", "muzzle"), True, "ja"),
        (DOG, ("valid_until",), "2027-12-31", "31.12.2027"),
        (DOG, ("insurance", "valid_until"), "2026-01-05", "05.01.2026"),
        (DOG, ("dog", "sex"), "female", "Hündin"),
        (DOG, ("dog", "sex"), "male", "Rüde"),
        (DOG, ("dog", "birth_year"), 2021, "2021"),
        (DOG, ("holder",), {"given_name": "Erika", "family_name": "Mu"}, "Erika Mu"),
        (
            DOG,
            ("insurance",),
            {"insurer": "R AG", "policy_number": "HP-1", "valid_until": "2027-01-02"},
            "Versicherer: R AG, Versicherungsnummer: HP-1, Versichert bis: 02.01.2027",
        ),
        (DOG, ("conditions",), ["a", "b"], "a, b"),
        (DOG, ("conditions",), [], "-"),
        (DOG, ("permit_number",), "2026-AB-123", "2026-AB-123"),
        (StreetMusicPermit.vct, ("performers", None), ["Lena", "Mehmet"], "Lena, Mehmet"),
        (CitizenId.vct, ("level_of_assurance",), 3, LevelOfAssurance(3).label_de),
        ("urn:unknown", ("x",), {"a": False}, "a: nein"),
        ("urn:unknown", ("x",), None, "-"),
    ],
)
def test_values_in_german(vct: str, path: ClaimPath, value: Any, expected: str) -> None:
    assert format_claim_value_de(vct, path, value) == expected


def test_labels_from_the_type_metadata() -> None:
    assert claim_label_de(DOG, ("role",)) == "Rolle (Halter/Führende)"
    assert claim_label_de(DOG, ("exemptions", "muzzle")) == "Maulkorbbefreiung"
    assert claim_label_de(DOG, ("nope",)) == "nope"
    assert claim_label_de("urn:unknown", ("a", "b")) == "a.b"
    assert claim_path_text(("performers", None)) == "performers.*"
