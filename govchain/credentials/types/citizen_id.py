"""BürgerID: the smartphone citizen ID, bound to a key on the citizen's device.

Its level of assurance follows from the enrolment: self-registration is
"Basisregistrierung" (low), an app-based identity check or an ID card or passport
checked in person at the counter "substanziell", the national eID card's online
function "hoch". An issuer must be accredited at least at the level
the credential asserts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govchain.chain.types import LevelOfAssurance
from govchain.credentials._reasons import ReasonCode
from govchain.credentials.types._base import (
    Address,
    ClaimSpec,
    CredentialClaims,
    CredentialType,
    PolicyContext,
    PolicyFinding,
    need,
)

__all__ = ["ENROLMENT_LEVELS", "CitizenId", "CitizenIdClaims", "Enrolment"]

VCT = "https://vct.govchain.de/buergerid/v1"

EnrolmentMethod = Literal[
    "self_registration", "app_identity_check", "in_person_id_check", "eid_online"
]
ENROLMENT_LEVELS: dict[str, LevelOfAssurance] = {
    "self_registration": LevelOfAssurance.LOW,
    "app_identity_check": LevelOfAssurance.SUBSTANTIAL,
    "in_person_id_check": LevelOfAssurance.SUBSTANTIAL,  # ID card or passport at the counter
    "eid_online": LevelOfAssurance.HIGH,
}


class Enrolment(BaseModel):
    """How and when the citizen's identity was established."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: EnrolmentMethod
    time: datetime

    @model_validator(mode="after")
    def _aware(self) -> Enrolment:
        if self.time.tzinfo is None:
            raise ValueError("the enrolment time needs a time zone")
        return self


class CitizenIdClaims(CredentialClaims):
    """Person identification with its eIDAS level and pairwise service subject ids."""

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: date
    birth_place: str = Field(min_length=1, max_length=100)
    address: Address
    nationalities: tuple[str, ...] = Field(min_length=1)
    level_of_assurance: LevelOfAssurance
    enrolment: Enrolment
    pairwise_subjects: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rules(self) -> CitizenIdClaims:
        expected = ENROLMENT_LEVELS[self.enrolment.method]
        if self.level_of_assurance != expected:
            raise ValueError(
                f"enrolment by {self.enrolment.method} gives level {expected.label_de}, "
                f"not {self.level_of_assurance.label_de}"
            )
        for code in self.nationalities:
            if len(code) != 2 or not code.isalpha() or not code.isupper():
                raise ValueError(f"nationality {code!r} is not an ISO 3166-1 alpha-2 code")
        return self


class CitizenId(CredentialType):
    """BürgerID."""

    vct = VCT
    model = CitizenIdClaims
    name_de = "BürgerID"
    name_en = "Citizen ID (BürgerID)"
    description_de = (
        "Digitale Identität der Region mit eIDAS-Vertrauensniveau, gebunden an das "
        "Smartphone der Bürgerin oder des Bürgers."
    )
    description_en = (
        "The region's digital identity with an eIDAS level of assurance, bound to the "
        "citizen's smartphone."
    )
    claims = (
        ClaimSpec(("given_name",), "Vorname", "Given name"),
        ClaimSpec(("family_name",), "Familienname", "Family name"),
        ClaimSpec(("birth_date",), "Geburtsdatum", "Date of birth"),
        ClaimSpec(("birth_place",), "Geburtsort", "Place of birth"),
        ClaimSpec(("address",), "Anschrift", "Address", "never"),
        ClaimSpec(("address", "street"), "Straße", "Street"),
        ClaimSpec(("address", "house_number"), "Hausnummer", "House number"),
        ClaimSpec(("address", "postal_code"), "Postleitzahl", "Postal code"),
        ClaimSpec(("address", "city"), "Ort", "City"),
        ClaimSpec(("address", "country"), "Staat", "Country"),
        ClaimSpec(("nationalities",), "Staatsangehörigkeiten", "Nationalities", "never"),
        ClaimSpec(("nationalities", None), "Staatsangehörigkeit", "Nationality"),
        ClaimSpec(("level_of_assurance",), "Vertrauensniveau", "Level of assurance", "never", True),
        ClaimSpec(("enrolment",), "Registrierung", "Enrolment"),
        ClaimSpec(
            ("pairwise_subjects",), "Dienstbezogene Kennungen", "Pairwise subject ids", "never"
        ),
        ClaimSpec(("pairwise_subjects", "*"), "Kennung für einen Dienst", "Id for one service"),
    )

    def required_issuer_loa(self, claims: Mapping[str, Any]) -> LevelOfAssurance | None:
        """The issuer must be accredited at least at the level the credential asserts."""
        level = claims.get("level_of_assurance")
        return LevelOfAssurance(level) if level in (1, 2, 3) else LevelOfAssurance.HIGH

    def check_policy(
        self, claims: Mapping[str, Any], at: datetime, context: PolicyContext
    ) -> PolicyFinding | None:
        """The level of assurance meets the service's minimum, when one is asked."""
        del at
        if context.min_level_of_assurance is None:
            return None
        level = LevelOfAssurance(int(need(claims, "level_of_assurance")))
        if level < context.min_level_of_assurance:
            return PolicyFinding(
                ReasonCode.LOA_BELOW_MINIMUM,
                {"level": level.label_de, "required": context.min_level_of_assurance.label_de},
            )
        return None
