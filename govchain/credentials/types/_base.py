"""What every credential type defines, and the registry that finds a type by its vct."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govchain.chain.types import LevelOfAssurance
from govchain.credentials._reasons import ReasonCode
from govchain.credentials.errors import (
    ClaimNotDisclosedError,
    ClaimValidationError,
    UnknownCredentialTypeError,
)
from govchain.credentials.sd_jwt import SdArray, SdNode, SdObject

__all__ = [
    "LOCAL_TIMEZONE",
    "Address",
    "ClaimSpec",
    "CredentialClaims",
    "CredentialType",
    "Person",
    "PolicyContext",
    "PolicyFinding",
    "credential_type",
    "credential_types",
    "day_bounds",
    "need",
    "need_date",
]

LOCAL_TIMEZONE = ZoneInfo("Europe/Berlin")
"""Where the cities are: dates and daily time windows are meant in this zone."""


class CredentialClaims(BaseModel):
    """Base of the typed claim records; frozen, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Address(BaseModel):
    """A postal address in Germany (or abroad, with ``country``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    street: str = Field(min_length=1, max_length=120)
    house_number: str = Field(min_length=1, max_length=12)
    postal_code: str = Field(pattern=r"^[0-9A-Z -]{3,10}$")
    city: str = Field(min_length=1, max_length=80)
    country: str = Field(default="DE", pattern=r"^[A-Z]{2}$")


class Person(BaseModel):
    """A natural person by name, with birth date where the type needs it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: date | None = None


SdMode = Literal["always", "allowed", "never"]


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of a type: where it is, its German and English label, and whether it
    is selectively disclosable (``always``) or always visible (``never``).

    ``path`` uses ``None`` for "each array element" and ``"*"`` for "each member".
    """

    path: tuple[str | None, ...]
    label_de: str
    label_en: str
    sd: SdMode = "always"
    mandatory: bool = False

    def metadata(self) -> dict[str, Any]:
        """The claim entry of SD-JWT VC type metadata."""
        entry: dict[str, Any] = {
            "path": list(self.path),
            "display": [
                {"locale": "de-DE", "label": self.label_de},
                {"locale": "en-US", "label": self.label_en},
            ],
            "sd": self.sd,
        }
        if self.mandatory:
            entry["mandatory"] = True
        return entry


@dataclass(frozen=True)
class PolicyContext:
    """What the verifier knows on the spot, for the type policies.

    Attributes:
        zone: the zone id the officer stands in (street music).
        instrument: the instrument being played (street music).
        chip_number: the chip number read from the dog in front of the officer.
        min_level_of_assurance: the lowest BürgerID level the service accepts.
        registration_deadline_days: how old a move may be for the registration office.
    """

    zone: str | None = None
    instrument: str | None = None
    chip_number: str | None = None
    min_level_of_assurance: LevelOfAssurance | None = None
    registration_deadline_days: int = 14


@dataclass(frozen=True)
class PolicyFinding:
    """A broken rule: its reason code and the details for the message."""

    reason: ReasonCode
    details: dict[str, object] = field(default_factory=dict)


def need(claims: Mapping[str, Any], *path: str) -> Any:
    """The disclosed value at ``path``, or ClaimNotDisclosedError."""
    value: Any = claims
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise ClaimNotDisclosedError(".".join(path))
        value = value[key]
    return value


def need_date(claims: Mapping[str, Any], *path: str) -> date:
    """A disclosed ISO date."""
    return date.fromisoformat(str(need(claims, *path)))


def need_time(value: Any) -> time:
    """An ISO time of day."""
    return time.fromisoformat(str(value))


def day_bounds(first: date, last: date) -> tuple[int, int]:
    """Unix seconds from the start of ``first`` to the end of ``last`` (local time)."""
    start = datetime.combine(first, time.min, LOCAL_TIMEZONE)
    end = datetime.combine(last + timedelta(days=1), time.min, LOCAL_TIMEZONE)
    return int(start.timestamp()), int(end.timestamp())


_TYPES: dict[str, CredentialType] = {}


class CredentialType(ABC):
    """A credential type: its vct, claims model, display, disclosure and policy.

    Subclasses register themselves by ``vct``; ``credential_type(vct)`` finds them.
    """

    vct: ClassVar[str]
    model: ClassVar[type[CredentialClaims]]
    name_de: ClassVar[str]
    name_en: ClassVar[str]
    description_de: ClassVar[str]
    description_en: ClassVar[str]
    claims: ClassVar[tuple[ClaimSpec, ...]]
    min_issuer_loa: ClassVar[LevelOfAssurance | None] = None
    requires_holder_binding: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "vct" in cls.__dict__:
            _TYPES[cls.vct] = cls()

    # --- records ---------------------------------------------------------------------

    def parse(self, data: Mapping[str, Any] | CredentialClaims) -> CredentialClaims:
        """Validate a record against the type; every broken rule is listed."""
        if isinstance(data, self.model):
            return data
        if isinstance(data, CredentialClaims):
            raise ClaimValidationError(self.vct, [f"a {type(data).__name__} is not a {self.vct}"])
        try:
            return self.model.model_validate(dict(data))
        except ValidationError as err:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}"
                for e in err.errors()
            ]
            raise ClaimValidationError(self.vct, problems) from err

    def validity(self, claims: CredentialClaims) -> tuple[int | None, int | None]:
        """``nbf`` and ``exp`` (unix seconds) the claims imply; None where they imply none."""
        del claims
        return None, None

    def required_issuer_loa(self, claims: Mapping[str, Any]) -> LevelOfAssurance | None:
        """The accreditation level the issuer needs for these (disclosed) claims."""
        del claims
        return self.min_issuer_loa

    @abstractmethod
    def check_policy(
        self, claims: Mapping[str, Any], at: datetime, context: PolicyContext
    ) -> PolicyFinding | None:
        """The verifier's rule for this type on the disclosed claims; None if met.

        ``at`` is the verification time in the cities' time zone. ``need`` raises
        ClaimNotDisclosedError when a needed claim was not disclosed.
        """

    # --- derived descriptions ------------------------------------------------------------

    @functools.cached_property
    def frame(self) -> SdObject:
        """Which claims are selectively disclosable, derived from ``claims``."""
        return _frame_from_specs(self.claims)

    @functools.cached_property
    def claim_names(self) -> frozenset[str]:
        """Every claim name the type uses at any depth."""
        return frozenset(p for spec in self.claims for p in spec.path if isinstance(p, str))

    def type_metadata(self) -> dict[str, Any]:
        """SD-JWT VC type metadata: names, descriptions and claim display in German and
        English, and which claims are selectively disclosable."""
        return {
            "vct": self.vct,
            "name": self.name_en,
            "description": self.description_en,
            "display": [
                {"locale": "de-DE", "name": self.name_de, "description": self.description_de},
                {"locale": "en-US", "name": self.name_en, "description": self.description_en},
            ],
            "claims": [spec.metadata() for spec in self.claims],
        }

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema (2020-12) of the type's claims record."""
        schema = self.model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"{self.vct}/schema.json"
        schema["title"] = self.name_en
        return schema

    @classmethod
    def instance(cls) -> Self:
        """The registered instance of this type."""
        found = _TYPES[cls.vct]
        assert isinstance(found, cls)
        return found


class _FrameNode:
    def __init__(self) -> None:
        self.sd = False
        self.members: dict[str, _FrameNode] = {}
        self.element: _FrameNode | None = None
        self.others: _FrameNode | None = None

    def child(self, key: str | None) -> _FrameNode:
        if key is None:
            self.element = self.element or _FrameNode()
            return self.element
        if key == "*":
            self.others = self.others or _FrameNode()
            return self.others
        return self.members.setdefault(key, _FrameNode())

    def build(self) -> SdNode:
        if self.element is not None:
            return SdArray(element=self.element.build(), disclosable=self.sd)
        if self.members or self.others is not None:
            return SdObject(
                members={k: v.build() for k, v in self.members.items()},
                disclosable=self.sd,
                others=self.others.build() if self.others is not None else False,
            )
        return self.sd


def _frame_from_specs(specs: tuple[ClaimSpec, ...]) -> SdObject:
    root = _FrameNode()
    for spec in specs:
        node = root
        for key in spec.path:
            node = node.child(key)
        node.sd = spec.sd == "always"
    built = root.build()
    return built if isinstance(built, SdObject) else SdObject()


def credential_type(vct: str) -> CredentialType:
    """The registered type for ``vct``."""
    try:
        return _TYPES[vct]
    except KeyError as err:
        raise UnknownCredentialTypeError(vct) from err


def credential_types() -> list[CredentialType]:
    """All registered types, sorted by vct."""
    return [_TYPES[v] for v in sorted(_TYPES)]
