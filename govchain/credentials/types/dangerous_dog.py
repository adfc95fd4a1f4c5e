"""Erlaubnis / Nachweis für gefährliche Hunde (LHundG NRW): keeper and leader variant.

The keeper needs the permit to keep a listed or individually dangerous dog; a leader
(someone else walking the dog) carries their own proof of expertise and reliability,
naming the keeper. Both variants share one vct and differ in ``role``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govchain.chain.types import LevelOfAssurance
from govchain.credentials._reasons import ReasonCode
from govchain.credentials.types._base import (
    ClaimSpec,
    CredentialClaims,
    CredentialType,
    PolicyContext,
    PolicyFinding,
    day_bounds,
    need,
    need_date,
)

__all__ = [
    "LISTED_BREEDS",
    "DangerousDogPermit",
    "DangerousDogPermitClaims",
    "Dog",
    "Exemptions",
    "Holder",
    "Insurance",
]

VCT = "https://vct.govchain.de/gefaehrlicher-hund/v1"

LISTED_BREEDS = (
    "Pitbull-Terrier",
    "American Staffordshire Terrier",
    "Staffordshire Bullterrier",
    "Bullterrier",
)
"""The breeds the state dog law lists as dangerous (crosses count too)."""

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Holder(BaseModel):
    """The permit holder; at least 18 years old."""

    model_config = _FROZEN

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: date


class Dog(BaseModel):
    """The dog, identified by its transponder (ISO 11784, 15 digits)."""

    model_config = _FROZEN

    name: str = Field(min_length=1, max_length=60)
    breed: str = Field(min_length=1, max_length=80)
    category: Literal["listed", "listed_cross", "individually_dangerous"]
    sex: Literal["male", "female"]
    birth_year: int = Field(ge=1990, le=2100)
    chip_number: str = Field(pattern=r"^[0-9]{15}$")


class Exemptions(BaseModel):
    """Exemptions from muzzle and leash in public."""

    model_config = _FROZEN

    muzzle: bool = False
    leash: bool = False


class Insurance(BaseModel):
    """The dog's liability insurance."""

    model_config = _FROZEN

    insurer: str = Field(min_length=1, max_length=100)
    policy_number: str = Field(min_length=1, max_length=40)
    valid_until: date


class DangerousDogPermitClaims(CredentialClaims):
    """The permit (keeper) or the proof to lead the dog (leader)."""

    permit_number: str = Field(min_length=1, max_length=40)
    role: Literal["keeper", "leader"]
    holder: Holder
    keeper_name: str | None = Field(default=None, max_length=200)
    dog: Dog
    exemptions: Exemptions = Exemptions()
    insurance: Insurance
    conditions: tuple[str, ...] = ()
    issuing_office: str = Field(min_length=1, max_length=120)
    valid_from: date
    valid_until: date

    @model_validator(mode="after")
    def _rules(self) -> DangerousDogPermitClaims:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must lie after valid_from")
        born = self.holder.birth_date
        try:
            adult = born.replace(year=born.year + 18)
        except ValueError:  # born on 29 February
            adult = date(born.year + 18, 3, 1)
        if adult > self.valid_from:
            raise ValueError("the holder must be at least 18 years old")
        if self.role == "leader" and not self.keeper_name:
            raise ValueError("a leader's proof names the keeper (keeper_name)")
        if self.role == "keeper" and self.keeper_name:
            raise ValueError("a keeper's permit has no keeper_name")
        if self.insurance.valid_until < self.valid_from:
            raise ValueError("the insurance must be valid when the permit starts")
        return self


class DangerousDogPermit(CredentialType):
    """Erlaubnis / Nachweis für gefährliche Hunde."""

    vct = VCT
    model = DangerousDogPermitClaims
    name_de = "Erlaubnis für gefährliche Hunde"
    name_en = "Dangerous dog permit"
    description_de = (
        "Erlaubnis zum Halten (Halterin/Halter) oder Nachweis zum Führen (Führende) eines "
        "gefährlichen Hundes nach dem Landeshundegesetz."
    )
    description_en = (
        "Permit to keep (keeper) or proof to lead (leader) a dangerous dog under the state dog law."
    )
    min_issuer_loa: ClassVar[LevelOfAssurance | None] = LevelOfAssurance.SUBSTANTIAL
    claims = (
        ClaimSpec(("permit_number",), "Erlaubnisnummer", "Permit number", "never", True),
        ClaimSpec(("role",), "Rolle (Halter/Führende)", "Role (keeper/leader)", "never", True),
        ClaimSpec(("holder",), "Inhaber/in", "Holder", "never", True),
        ClaimSpec(("holder", "given_name"), "Vorname", "Given name"),
        ClaimSpec(("holder", "family_name"), "Familienname", "Family name"),
        ClaimSpec(("holder", "birth_date"), "Geburtsdatum", "Date of birth"),
        ClaimSpec(("keeper_name",), "Halter/in des Hundes", "Keeper of the dog"),
        ClaimSpec(("dog",), "Hund", "Dog", "never", True),
        ClaimSpec(("dog", "name"), "Name des Hundes", "Dog's name"),
        ClaimSpec(("dog", "breed"), "Rasse", "Breed"),
        ClaimSpec(("dog", "category"), "Einstufung", "Category", "never"),
        ClaimSpec(("dog", "sex"), "Geschlecht", "Sex"),
        ClaimSpec(("dog", "birth_year"), "Wurfjahr", "Year of birth"),
        ClaimSpec(("dog", "chip_number"), "Chipnummer", "Chip number"),
        ClaimSpec(("exemptions",), "Befreiungen", "Exemptions", "never"),
        ClaimSpec(("exemptions", "muzzle"), "Maulkorbbefreiung", "Muzzle exemption", "never"),
        ClaimSpec(("exemptions", "leash"), "Leinenbefreiung", "Leash exemption", "never"),
        ClaimSpec(("insurance",), "Haftpflichtversicherung", "Liability insurance", "never"),
        ClaimSpec(("insurance", "insurer"), "Versicherer", "Insurer"),
        ClaimSpec(("insurance", "policy_number"), "Versicherungsnummer", "Policy number"),
        ClaimSpec(("insurance", "valid_until"), "Versichert bis", "Insured until"),
        ClaimSpec(("conditions",), "Auflagen", "Conditions", "never"),
        ClaimSpec(("issuing_office",), "Ausstellende Behörde", "Issuing office", "never"),
        ClaimSpec(("valid_from",), "Gültig ab", "Valid from", "never", True),
        ClaimSpec(("valid_until",), "Gültig bis", "Valid until", "never", True),
    )

    def validity(self, claims: CredentialClaims) -> tuple[int | None, int | None]:
        """From the first day's start to the last day's end, in the cities' time zone."""
        assert isinstance(claims, DangerousDogPermitClaims)
        return day_bounds(claims.valid_from, claims.valid_until)

    def check_policy(
        self, claims: Mapping[str, Any], at: datetime, context: PolicyContext
    ) -> PolicyFinding | None:
        """Chip number matches the dog (when read), insurance not expired."""
        if context.chip_number is not None:
            chip = str(need(claims, "dog", "chip_number"))
            if chip != context.chip_number.replace(" ", ""):
                return PolicyFinding(ReasonCode.CHIP_MISMATCH)
        insured_until = need_date(claims, "insurance", "valid_until")
        if insured_until < at.date():
            return PolicyFinding(ReasonCode.INSURANCE_EXPIRED, {"date": insured_until})
        return None
