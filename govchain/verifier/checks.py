"""The field checks an official can start, each with its DCQL query, in one place.

A check names the credential type it asks for, its parameters (validated), the claims
it requests (and so the only claims it ever shows: data minimisation), the
``PolicyContext`` its parameters give the type policy, and a German title for the page.
``dcql_query`` turns a check into the OID4VP 1.0 DCQL query of a request; its single
credential query's ``id`` is the check's name, which keys the wallet's ``vp_token``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govchain.chain.types import LevelOfAssurance
from govchain.credentials.display import claim_label_de, claim_path_text, format_claim_value_de
from govchain.credentials.formats import SD_JWT_VC_TYP
from govchain.credentials.sd_jwt import ClaimPath
from govchain.credentials.types import (
    CitizenId,
    CredentialType,
    DangerousDogPermit,
    LandlordConfirmation,
    PolicyContext,
    StreetMusicPermit,
)
from govchain.verifier.errors import CheckParameterError, UnknownCheckError

__all__ = [
    "LOGIN_CHECK",
    "CheckParams",
    "FieldCheck",
    "LoginParams",
    "claim_label",
    "dcql_query",
    "field_check",
    "field_checks",
    "missing_claims",
    "path_text",
    "select_claims",
    "shown_claims",
]


class CheckParams(BaseModel):
    """Base of a check's parameters: frozen, unknown parameters refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class StreetMusicParams(CheckParams):
    """The zone the officer stands in, and optionally the instrument being played."""

    zone: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    instrument: str | None = Field(default=None, min_length=1, max_length=60)


class DogParams(CheckParams):
    """The chip number read from the dog in front of the officer, if read."""

    chip_number: str | None = Field(default=None, pattern=r"^[0-9 ]{15,19}$")


class LandlordParams(CheckParams):
    """How many days after the move the registration office still accepts it."""

    registration_deadline_days: int = Field(default=14, ge=1, le=365)


_LEVELS: dict[str, LevelOfAssurance] = {
    "basisregistrierung": LevelOfAssurance.LOW,
    "substanziell": LevelOfAssurance.SUBSTANTIAL,
    "hoch": LevelOfAssurance.HIGH,
}


class CitizenIdParams(CheckParams):
    """The lowest BürgerID level the service accepts."""

    min_level: Literal["basisregistrierung", "substanziell", "hoch"] = "substanziell"


class LoginParams(CitizenIdParams):
    """A "Login mit BürgerID": the minimum level, and whether the service may see the address."""

    address: bool = False


_CHECKS: dict[str, FieldCheck] = {}


class FieldCheck(ABC):
    """One kind of check an official starts; subclasses register by ``name``."""

    name: ClassVar[str]
    ctype: ClassVar[type[CredentialType]]
    label_de: ClassVar[str]
    label_en: ClassVar[str]
    params_model: ClassVar[type[CheckParams]]
    requested: ClassVar[tuple[ClaimPath, ...]]
    listed: ClassVar[bool] = True
    """False for checks only the service itself starts (the OIDC login), never officials."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _CHECKS[cls.name] = cls()

    @property
    def vct(self) -> str:
        """The credential type this check asks for."""
        return self.ctype.vct

    def params(self, raw: Mapping[str, Any]) -> CheckParams:
        """Validate raw parameters (from JSON, a form or the CLI); empty strings are absent."""
        cleaned = {k: v for k, v in raw.items() if v not in ("", None)}
        try:
            return self.params_model.model_validate(cleaned)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}"
                for e in err.errors()
            )
            raise CheckParameterError(self.name, problems) from err

    def claims(self, params: CheckParams) -> tuple[ClaimPath, ...]:
        """The claims this check requests (and may show) with these parameters."""
        del params
        return self.requested

    @abstractmethod
    def context(self, params: CheckParams) -> PolicyContext:
        """What the type policy needs from the parameters."""

    @abstractmethod
    def title_de(self, params: CheckParams) -> str:
        """A German title for the page, e.g. "Straßenmusik, Zone markt"."""


class StreetMusicCheck(FieldCheck):
    """Street music in a zone: today within the dates, now in a window, the zone allowed."""

    name = "strassenmusik"
    ctype = StreetMusicPermit
    label_de = "Straßenmusik"
    label_en = "Street music"
    params_model = StreetMusicParams
    requested = (
        ("permit_number",),
        ("performers", None),
        ("instruments",),
        ("zones",),
        ("date_from",),
        ("date_to",),
        ("daily_windows",),
    )

    def context(self, params: CheckParams) -> PolicyContext:
        """The zone (and instrument) the officer sees."""
        assert isinstance(params, StreetMusicParams)
        return PolicyContext(zone=params.zone, instrument=params.instrument)

    def title_de(self, params: CheckParams) -> str:
        """E.g. "Straßenmusik, Zone markt (Geige)"."""
        assert isinstance(params, StreetMusicParams)
        extra = f" ({params.instrument})" if params.instrument else ""
        return f"Straßenmusik, Zone {params.zone}{extra}"


class DogCheck(FieldCheck):
    """A dangerous dog in public: permit valid, insured, chip matches when read."""

    name = "hund"
    ctype = DangerousDogPermit
    label_de = "Gefährlicher Hund"
    label_en = "Dangerous dog"
    params_model = DogParams
    requested = (
        ("permit_number",),
        ("role",),
        ("holder", "given_name"),
        ("holder", "family_name"),
        ("dog", "name"),
        ("dog", "breed"),
        ("exemptions",),
        ("insurance", "valid_until"),
        ("valid_until",),
    )

    def claims(self, params: CheckParams) -> tuple[ClaimPath, ...]:
        """The chip number is asked for only when the officer has read one to compare."""
        assert isinstance(params, DogParams)
        if params.chip_number is None:
            return self.requested
        return (*self.requested, ("dog", "chip_number"))

    def context(self, params: CheckParams) -> PolicyContext:
        """The chip number read from the dog, if any."""
        assert isinstance(params, DogParams)
        return PolicyContext(chip_number=params.chip_number)

    def title_de(self, params: CheckParams) -> str:
        """E.g. "Gefährlicher Hund, Chip 276098106543210"."""
        assert isinstance(params, DogParams)
        return "Gefährlicher Hund" + (f", Chip {params.chip_number}" if params.chip_number else "")


class LandlordCheck(FieldCheck):
    """The registration office checks a landlord's move-in confirmation."""

    name = "wohnungsgeber"
    ctype = LandlordConfirmation
    label_de = "Wohnungsgeberbestätigung"
    label_en = "Landlord's confirmation"
    params_model = LandlordParams
    requested = (
        ("confirmation_number",),
        ("event",),
        ("event_date",),
        ("dwelling", "street"),
        ("dwelling", "house_number"),
        ("dwelling", "postal_code"),
        ("dwelling", "city"),
        ("residents", None),
        ("landlord", "name"),
        ("landlord_identity_loa",),
        ("registration_office",),
    )

    def context(self, params: CheckParams) -> PolicyContext:
        """The registration deadline in days."""
        assert isinstance(params, LandlordParams)
        return PolicyContext(registration_deadline_days=params.registration_deadline_days)

    def title_de(self, params: CheckParams) -> str:
        """E.g. "Wohnungsgeberbestätigung (Meldefrist 14 Tage)"."""
        assert isinstance(params, LandlordParams)
        return f"Wohnungsgeberbestätigung (Meldefrist {params.registration_deadline_days} Tage)"


class CitizenIdCheck(FieldCheck):
    """A BürgerID at a minimum level of assurance: name and level only."""

    name = "buergerid"
    ctype = CitizenId
    label_de = "BürgerID"
    label_en = "Citizen ID"
    params_model = CitizenIdParams
    requested = (("given_name",), ("family_name",), ("level_of_assurance",))

    def context(self, params: CheckParams) -> PolicyContext:
        """The minimum level."""
        assert isinstance(params, CitizenIdParams)
        return PolicyContext(min_level_of_assurance=_LEVELS[params.min_level])

    def title_de(self, params: CheckParams) -> str:
        """E.g. "BürgerID, mindestens substanziell"."""
        assert isinstance(params, CitizenIdParams)
        return f"BürgerID, mindestens {params.min_level}"


LOGIN_CHECK: Final = "buergerid-login"


class CitizenLoginCheck(FieldCheck):
    """The BürgerID behind "Login mit BürgerID": the identifying data the pairwise
    subject is derived from (names, birth date and place), the level, and the address
    only when the service asked for scope ``address``. Not offered to officials."""

    name = LOGIN_CHECK
    ctype = CitizenId
    label_de = "Login mit BürgerID"
    label_en = "Login with BürgerID"
    params_model = LoginParams
    listed = False
    requested = (
        ("given_name",),
        ("family_name",),
        ("birth_date",),
        ("birth_place",),
        ("level_of_assurance",),
    )
    address_claims: ClassVar[tuple[ClaimPath, ...]] = (
        ("address", "street"),
        ("address", "house_number"),
        ("address", "postal_code"),
        ("address", "city"),
    )

    def claims(self, params: CheckParams) -> tuple[ClaimPath, ...]:
        """The address only with scope ``address``."""
        assert isinstance(params, LoginParams)
        return (*self.requested, *self.address_claims) if params.address else self.requested

    def context(self, params: CheckParams) -> PolicyContext:
        """The minimum level."""
        assert isinstance(params, LoginParams)
        return PolicyContext(min_level_of_assurance=_LEVELS[params.min_level])

    def title_de(self, params: CheckParams) -> str:
        """E.g. "Login mit BürgerID, mindestens hoch"."""
        assert isinstance(params, LoginParams)
        return f"Login mit BürgerID, mindestens {params.min_level}"


def field_check(name: str) -> FieldCheck:
    """The registered check called ``name``."""
    try:
        return _CHECKS[name]
    except KeyError as err:
        raise UnknownCheckError(name, [c.name for c in field_checks()]) from err


def field_checks() -> list[FieldCheck]:
    """Every check an official can start, by name (the login check is not one)."""
    return [_CHECKS[n] for n in sorted(_CHECKS) if _CHECKS[n].listed]


def dcql_query(check: FieldCheck, params: CheckParams) -> dict[str, Any]:
    """The OID4VP 1.0 DCQL query of one check: one SD-JWT VC of the check's vct with
    exactly the claims the check needs."""
    return {
        "credentials": [
            {
                "id": check.name,
                "format": SD_JWT_VC_TYP,
                "meta": {"vct_values": [check.vct]},
                "claims": [{"path": list(path)} for path in check.claims(params)],
            }
        ]
    }


def path_text(path: ClaimPath) -> str:
    """A claim path as text, e.g. ``holder.family_name`` or ``performers.*``."""
    return claim_path_text(path)


def claim_label(ctype: type[CredentialType], path: ClaimPath) -> str:
    """The type metadata's German label of a claim path (the path text if none)."""
    return claim_label_de(ctype.vct, path)


def _at(value: Any, path: ClaimPath) -> tuple[bool, Any]:
    for key in path:
        if key is None:
            if not isinstance(value, list) or not value:
                return False, None
            return True, value
        if isinstance(key, int):
            if not isinstance(value, list) or not 0 <= key < len(value):
                return False, None
        elif not isinstance(value, Mapping) or key not in value:
            return False, None
        value = value[key]
    return True, value


def missing_claims(claims: Mapping[str, Any], paths: tuple[ClaimPath, ...]) -> list[str]:
    """The requested paths the presentation did not disclose (an array path needs at
    least one element)."""
    return [path_text(p) for p in paths if not _at(claims, p)[0]]


def select_claims(claims: Mapping[str, Any], paths: tuple[ClaimPath, ...]) -> dict[str, Any]:
    """Only the requested claims, nested as in the credential; anything else a wallet
    disclosed is dropped here and never shown or stored."""
    selected: dict[str, Any] = {}
    for path in paths:
        found, value = _at(claims, path)
        if not found:
            continue
        keys = [k for k in path if k is not None]
        node = selected
        for key in keys[:-1]:
            node = node.setdefault(str(key), {})
        node[str(keys[-1])] = value
    return selected


def shown_claims(
    check: FieldCheck, params: CheckParams, claims: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The requested claims as (German label, German text), in the check's order."""
    shown: list[tuple[str, str]] = []
    for path in check.claims(params):
        found, value = _at(claims, path)
        if not found:
            continue
        text = format_claim_value_de(check.vct, path, value)
        shown.append((claim_label(check.ctype, path), text))
    return shown
