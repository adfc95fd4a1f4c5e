"""Wohnungsgeberbestätigung (landlord's confirmation of a move, section 19 BMG).

The landlord confirms the move; the city registers it and issues the credential, so
the issuer is an accredited city office while the claims name the landlord and the
level of assurance of the BürgerID the landlord confirmed with (at least
"substanziell": a false confirmation is an offence, the landlord must be attributable).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govchain.chain.types import LevelOfAssurance
from govchain.credentials._reasons import ReasonCode
from govchain.credentials.types._base import (
    Address,
    ClaimSpec,
    CredentialClaims,
    CredentialType,
    Person,
    PolicyContext,
    PolicyFinding,
    need,
    need_date,
)

__all__ = ["Landlord", "LandlordConfirmation", "LandlordConfirmationClaims"]

VCT = "https://vct.govchain.de/wohnungsgeberbestaetigung/v1"


class Landlord(BaseModel):
    """The landlord; if not the owner, the owner is named too (section 19 (3) BMG)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    address: Address
    is_owner: bool
    owner_name: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _owner(self) -> Landlord:
        if not self.is_owner and not self.owner_name:
            raise ValueError("a landlord who is not the owner must name the owner")
        return self


class LandlordConfirmationClaims(CredentialClaims):
    """Contents required by section 19 (3) BMG."""

    confirmation_number: str = Field(min_length=1, max_length=40)
    event: Literal["move_in", "move_out"]
    event_date: date
    dwelling: Address
    residents: tuple[Person, ...] = Field(min_length=1, max_length=20)
    landlord: Landlord
    landlord_identity_loa: LevelOfAssurance
    registration_office: str = Field(min_length=1, max_length=120)

    @model_validator(mode="after")
    def _strong_landlord(self) -> LandlordConfirmationClaims:
        if self.landlord_identity_loa < LevelOfAssurance.SUBSTANTIAL:
            raise ValueError("the landlord must confirm with a BürgerID of level substanziell")
        return self


class LandlordConfirmation(CredentialType):
    """Wohnungsgeberbestätigung."""

    vct = VCT
    model = LandlordConfirmationClaims
    name_de = "Wohnungsgeberbestätigung"
    name_en = "Landlord's confirmation of move"
    description_de = (
        "Bestätigung des Wohnungsgebers über den Ein- oder Auszug nach § 19 Bundesmeldegesetz."
    )
    description_en = (
        "The landlord's confirmation of a move-in or move-out under section 19 of the "
        "Federal Registration Act."
    )
    min_issuer_loa: ClassVar[LevelOfAssurance | None] = LevelOfAssurance.SUBSTANTIAL
    claims = (
        ClaimSpec(
            ("confirmation_number",), "Bestätigungsnummer", "Confirmation number", "never", True
        ),
        ClaimSpec(("event",), "Einzug oder Auszug", "Move in or out", "never", True),
        ClaimSpec(("event_date",), "Datum des Ein-/Auszugs", "Date of the move", "never", True),
        ClaimSpec(("dwelling",), "Anschrift der Wohnung", "Address of the dwelling", "never", True),
        ClaimSpec(("dwelling", "street"), "Straße", "Street"),
        ClaimSpec(("dwelling", "house_number"), "Hausnummer", "House number"),
        ClaimSpec(("dwelling", "postal_code"), "Postleitzahl", "Postal code"),
        ClaimSpec(("dwelling", "city"), "Ort", "City"),
        ClaimSpec(("dwelling", "country"), "Staat", "Country", "never"),
        ClaimSpec(("residents",), "Meldepflichtige Personen", "Persons moving", "never", True),
        ClaimSpec(("residents", None), "Person", "Person"),
        ClaimSpec(("landlord",), "Wohnungsgeber", "Landlord", "always", True),
        ClaimSpec(("landlord", "name"), "Name des Wohnungsgebers", "Landlord's name"),
        ClaimSpec(("landlord", "address"), "Anschrift des Wohnungsgebers", "Landlord's address"),
        ClaimSpec(("landlord", "is_owner"), "Eigentümer/in", "Is the owner", "never"),
        ClaimSpec(("landlord", "owner_name"), "Name des Eigentümers", "Owner's name"),
        ClaimSpec(
            ("landlord_identity_loa",),
            "Vertrauensniveau des Wohnungsgebers",
            "Landlord's level of assurance",
            "never",
            True,
        ),
        ClaimSpec(("registration_office",), "Meldebehörde", "Registration office", "never"),
    )

    def check_policy(
        self, claims: Mapping[str, Any], at: datetime, context: PolicyContext
    ) -> PolicyFinding | None:
        """Move date not in the future and within the registration deadline; landlord
        identified at level substanziell or higher."""
        moved = need_date(claims, "event_date")
        today = at.date()
        if moved > today:
            return PolicyFinding(ReasonCode.MOVE_DATE_IN_FUTURE, {"date": moved})
        days = context.registration_deadline_days
        if moved < today - timedelta(days=days):
            return PolicyFinding(ReasonCode.MOVE_DATE_TOO_OLD, {"date": moved, "days": days})
        level = LevelOfAssurance(int(need(claims, "landlord_identity_loa")))
        if level < LevelOfAssurance.SUBSTANTIAL:
            return PolicyFinding(ReasonCode.LANDLORD_LOA_INSUFFICIENT, {"level": level.label_de})
        return None
