"""What crosses the ASK's boundary: the questionnaire, queries, entries, evaluations.

Validation happens here, once, for the JSON API and the pages alike. Every refusal names
the field and says what is wrong in English and German (``parse_input``), so an official
filling in the questionnaire sees the same precise message as an API client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from govchain.platform.ask._german import de_number
from govchain.platform.ask.errors import FieldProblem, InvalidInputError
from govchain.platform.ask.types import (
    ArchivalValue,
    EntryState,
    Medium,
    RecordType,
    RetentionClass,
    RetentionTrigger,
    Role,
    VolumeUnit,
)

__all__ = [
    "FIELD_LABELS_DE",
    "CatalogueQuery",
    "DueEntry",
    "DueInYear",
    "EntryEvent",
    "EntryIn",
    "EntryOut",
    "EntryPage",
    "EntryRef",
    "Evaluation",
    "EvaluationQuery",
    "ExportDocument",
    "MediumShare",
    "OfficialOut",
    "RetentionClassCount",
    "ReturnIn",
    "ReviewIn",
    "UnitTotal",
    "ValueCount",
    "VolumeTotal",
    "form_fields",
    "parse_input",
    "parse_json",
]

MIN_YEAR = 1800
MAX_YEAR = 2100
MAX_RETENTION_YEARS = 120
MAX_VOLUME = Decimal(10_000_000)

FIELD_LABELS_DE: dict[str, str] = {
    "file_plan_number": "Aktenplankennzeichen",
    "title": "Titel",
    "description": "Beschreibung",
    "org_unit": "Organisationseinheit",
    "record_type": "Aktenart",
    "medium": "Form (Papier/Digital/Hybrid)",
    "volume_amount": "Jahresumfang",
    "volume_unit": "Einheit des Jahresumfangs",
    "first_year": "Laufzeit von",
    "last_year": "Laufzeit bis",
    "retention_years": "Aufbewahrungsfrist",
    "retention_trigger": "Fristbeginn",
    "legal_basis": "Rechtsgrundlage",
    "protection_period_years": "Schutzfrist",
    "contact_name": "Ansprechperson",
    "contact_email": "E-Mail",
    "contact_phone": "Telefon",
    "archival_value": "Archivwürdigkeit",
    "note": "Vermerk",
    "q": "Suchbegriff",
    "retention_class": "Aufbewahrungsklasse",
    "state": "Status",
    "limit": "Anzahl",
    "offset": "Versatz",
    "year": "Jahr",
    "body": "Anfrage",
}

_FILE_PLAN_NUMBER = re.compile(r"^[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß./ _-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _refuse(field: str, en: str, de: str) -> PydanticCustomError:
    """A validation error with our own English and German sentence."""
    return PydanticCustomError("ask", "{en}", {"field": field, "en": en, "de": de})


class EntryIn(BaseModel):
    """The questionnaire: one file structure (Aktenstruktur) as an office describes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    file_plan_number: str = Field(min_length=1, max_length=64, description="Aktenplankennzeichen")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    org_unit: str = Field(min_length=1, max_length=200, description="Organisationseinheit")
    record_type: RecordType
    medium: Medium
    volume_amount: Decimal = Field(
        ge=0, le=MAX_VOLUME, decimal_places=3, description="yearly volume in volume_unit"
    )
    volume_unit: VolumeUnit
    first_year: int = Field(ge=MIN_YEAR, le=MAX_YEAR, description="Laufzeit von")
    last_year: int | None = Field(
        default=None, ge=MIN_YEAR, le=MAX_YEAR, description="Laufzeit bis; null = laufend"
    )
    retention_years: int = Field(ge=0, le=MAX_RETENTION_YEARS)
    retention_trigger: RetentionTrigger
    legal_basis: str = Field(default="", max_length=500)
    protection_period_years: int | None = Field(
        default=None, ge=0, le=MAX_RETENTION_YEARS, description="Schutzfrist"
    )
    contact_name: str = Field(min_length=1, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=50)

    @field_validator("volume_amount", mode="before")
    @classmethod
    def _german_decimal_comma(cls, value: object) -> object:
        # Officials type "12,5"; the comma is the German decimal separator.
        if isinstance(value, str) and value.count(",") == 1 and "." not in value:
            return value.replace(",", ".")
        return value

    @field_validator("contact_email", "contact_phone", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("file_plan_number")
    @classmethod
    def _file_plan_number(cls, value: str) -> str:
        if not _FILE_PLAN_NUMBER.match(value):
            raise _refuse(
                "file_plan_number",
                f"file_plan_number {value!r} may contain only letters, digits, '.', '/', '-', "
                "'_' and spaces, starting with a letter or digit",
                f"Aktenplankennzeichen {value!r} darf nur Buchstaben, Ziffern, '.', '/', '-', "
                "'_' und Leerzeichen enthalten und muss mit Buchstabe oder Ziffer beginnen",
            )
        return value

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise _refuse(
                "contact_email",
                f"contact_email {value!r} is not an e-mail address",
                f"E-Mail {value!r} ist keine E-Mail-Adresse",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.volume_unit is VolumeUnit.GIGABYTES and self.medium is Medium.PAPER:
            raise _refuse(
                "volume_unit",
                "volume_unit 'gb' does not fit paper files: use 'lfm' or 'files'",
                "Einheit GB passt nicht zu Papierakten: lfm oder Akten angeben",
            )
        if self.volume_unit is VolumeUnit.RUNNING_METRES and self.medium is Medium.DIGITAL:
            raise _refuse(
                "volume_unit",
                "volume_unit 'lfm' does not fit digital files: use 'gb' or 'files'",
                "Einheit lfm passt nicht zu digitalen Akten: GB oder Akten angeben",
            )
        if self.volume_unit is VolumeUnit.FILES and self.volume_amount != int(self.volume_amount):
            raise _refuse(
                "volume_amount",
                f"volume_amount must be a whole number of files (got {self.volume_amount})",
                f"Jahresumfang muss eine ganze Zahl von Akten sein (angegeben: "
                f"{de_number(self.volume_amount)})",
            )
        if self.last_year is not None and self.last_year < self.first_year:
            raise _refuse(
                "last_year",
                f"last_year {self.last_year} is before first_year {self.first_year}",
                f"Laufzeit bis {self.last_year} liegt vor Laufzeit von {self.first_year}",
            )
        return self


class ReviewIn(BaseModel):
    """The archivist's assessment that completes the review."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    archival_value: ArchivalValue
    note: str = Field(default="", max_length=2000)

    @field_validator("archival_value")
    @classmethod
    def _decided(cls, value: ArchivalValue) -> ArchivalValue:
        if value is ArchivalValue.PENDING:
            raise _refuse(
                "archival_value",
                "archival_value must be a decision: 'yes', 'no' or 'partial'",
                "Archivwürdigkeit muss entschieden sein: ja, nein oder teilweise",
            )
        return value


class ReturnIn(BaseModel):
    """Sending an entry back to its office for correction: the note says what to fix."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=2000)


class CatalogueQuery(BaseModel):
    """Search and filters over a tenant's catalogue."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    q: str | None = Field(default=None, max_length=200, description="words in title, ...")
    medium: Medium | None = None
    retention_class: RetentionClass | None = None
    archival_value: ArchivalValue | None = None
    state: EntryState | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class EvaluationQuery(BaseModel):
    """The year whose handovers to the archive are listed (default: the current year)."""

    model_config = ConfigDict(extra="ignore")

    year: int | None = Field(default=None, ge=1900, le=2200)


class EntryOut(BaseModel):
    """A catalogue entry as stored, with its state and the archivist's assessment."""

    id: str
    tenant: str
    state: EntryState
    file_plan_number: str
    title: str
    description: str
    org_unit: str
    record_type: RecordType
    medium: Medium
    volume_amount: float
    volume_unit: VolumeUnit
    first_year: int
    last_year: int | None
    retention_years: int
    retention_class: RetentionClass
    retention_trigger: RetentionTrigger
    legal_basis: str
    protection_period_years: int | None
    archival_value: ArchivalValue
    review_note: str
    contact_name: str
    contact_email: str | None
    contact_phone: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None


class EntryPage(BaseModel):
    """One page of search results and how many match in all."""

    total: int
    limit: int
    offset: int
    items: list[EntryOut]


class EntryEvent(BaseModel):
    """One line of an entry's history (who did what, when)."""

    at: datetime
    actor: str
    action: str
    from_state: EntryState | None
    to_state: EntryState | None
    note: str


class OfficialOut(BaseModel):
    """Who the service thinks is acting."""

    tenant: str
    name: str
    role: Role
    development_identity: bool


class VolumeTotal(BaseModel):
    """Total yearly volume of one medium in one unit."""

    medium: Medium
    unit: VolumeUnit
    total: float
    entries: int


class RetentionClassCount(BaseModel):
    """How many entries fall in one retention class."""

    retention_class: RetentionClass
    label_de: str
    entries: int


class ValueCount(BaseModel):
    """How many entries have one archival value."""

    archival_value: ArchivalValue
    label_de: str
    entries: int


class MediumShare(BaseModel):
    """Share of entries kept on one medium (percent of the entries evaluated)."""

    medium: Medium
    label_de: str
    entries: int
    percent: float


class UnitTotal(BaseModel):
    """A total in one unit."""

    unit: VolumeUnit
    total: float


class DueEntry(BaseModel):
    """One year's files of a structure that reach the end of retention in the year asked."""

    entry_id: str
    file_plan_number: str
    title: str
    closed_in: int = Field(description="the year the due files were closed")
    volume_amount: float
    volume_unit: VolumeUnit
    archival_value: ArchivalValue


class EntryRef(BaseModel):
    """A short reference to an entry."""

    entry_id: str
    file_plan_number: str
    title: str


class DueInYear(BaseModel):
    """What is due for handover to the archive (Aussonderung) in one year."""

    year: int
    items: list[DueEntry]
    to_archive: list[UnitTotal] = Field(description="archival value yes or partial")
    to_destroy: list[UnitTotal] = Field(description="archival value no")
    unassessed: list[UnitTotal] = Field(description="archival value pending")
    event_based: list[EntryRef] = Field(description="retention starts at an event: not computable")


class Evaluation(BaseModel):
    """The catalogue evaluated by criteria; drafts are not counted."""

    tenant: str
    entries: int
    drafts_excluded: int
    volume_by_medium: list[VolumeTotal]
    by_retention_class: list[RetentionClassCount]
    by_archival_value: list[ValueCount]
    medium_share: list[MediumShare]
    due: DueInYear


class ExportDocument(BaseModel):
    """The JSON export: the matching entries with when and for whom they were exported."""

    format: str = "govchain-ask-export/1"
    tenant: str
    exported_at: datetime
    entries: list[EntryOut]


# --- validation with English and German messages ------------------------------------------


def parse_input[M: BaseModel](model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` as ``model``, or raise ``InvalidInputError`` naming each field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as err:
        raise InvalidInputError([_problem(e) for e in err.errors()]) from err


def parse_json[M: BaseModel](model: type[M], raw: bytes) -> M:
    """Validate a JSON request body as ``model``, with the same messages as ``parse_input``."""
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as err:
        raise InvalidInputError([_problem(e) for e in err.errors()]) from err


def form_fields(form: Mapping[str, Any]) -> dict[str, str]:
    """A posted HTML form as input: empty fields left out (so required ones are 'missing')."""
    out: dict[str, str] = {}
    for key, value in form.items():
        if key == "csrf_token" or not isinstance(value, str):
            continue
        if value.strip():
            out[key] = value
    return out


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(error: ErrorDetails) -> FieldProblem:
    """One pydantic error as a field problem in English and German."""
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    loc = error["loc"]
    field = str(ctx.get("field") or (".".join(str(p) for p in loc) if loc else "body"))
    label = FIELD_LABELS_DE.get(field, field)
    given = _shown(error.get("input"))
    kind = error["type"]
    if kind == "ask":
        return FieldProblem(field, str(ctx["en"]), str(ctx["de"]))
    if kind == "missing":
        return FieldProblem(field, f"{field} is required", f"{label} ist ein Pflichtfeld")
    if kind == "extra_forbidden":
        return FieldProblem(
            field, f"{field} is not a known field", f"{field} ist kein bekanntes Feld"
        )
    if kind == "string_too_short":
        return FieldProblem(field, f"{field} must not be empty", f"{label} darf nicht leer sein")
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return FieldProblem(
            field,
            f"{field} must be at most {n} characters long",
            f"{label} darf höchstens {n} Zeichen lang sein",
        )
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return FieldProblem(
            field,
            f"{field} must be a whole number (got {given})",
            f"{label} muss eine ganze Zahl sein (angegeben: {given})",
        )
    if kind in {"decimal_parsing", "decimal_type", "float_parsing", "float_type"}:
        return FieldProblem(
            field,
            f"{field} must be a number (got {given})",
            f"{label} muss eine Zahl sein (angegeben: {given})",
        )
    if kind == "decimal_max_places":
        n = ctx.get("decimal_places")
        return FieldProblem(
            field,
            f"{field} may have at most {n} decimal places (got {given})",
            f"{label} darf höchstens {n} Nachkommastellen haben (angegeben: {given})",
        )
    if kind in {"greater_than_equal", "greater_than"}:
        bound = ctx.get("ge", ctx.get("gt"))
        if str(bound) == "0":
            return FieldProblem(
                field,
                f"{field} must not be negative (got {given})",
                f"{label} darf nicht negativ sein (angegeben: {given})",
            )
        return FieldProblem(
            field,
            f"{field} must be at least {bound} (got {given})",
            f"{label} muss mindestens {bound} sein (angegeben: {given})",
        )
    if kind in {"less_than_equal", "less_than", "decimal_max_digits", "decimal_whole_digits"}:
        bound = ctx.get("le", ctx.get("lt", MAX_VOLUME))
        return FieldProblem(
            field,
            f"{field} must be at most {bound} (got {given})",
            f"{label} darf höchstens {bound} sein (angegeben: {given})",
        )
    if kind in {"enum", "literal_error"}:
        expected = ctx.get("expected", "")
        return FieldProblem(
            field,
            f"{field} must be one of {expected} (got {given})",
            f"{label} muss einer dieser Werte sein: {str(expected).replace(' or ', ' oder ')} "
            f"(angegeben: {given})",
        )
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return FieldProblem(
            "body",
            "the body must be a JSON object",
            "die Anfrage muss ein JSON-Objekt sein",
        )
    if kind == "json_invalid":
        return FieldProblem(
            "body", "the body is not valid JSON", "die Anfrage ist kein gültiges JSON"
        )
    if kind in {"string_type", "bool_type", "bool_parsing"}:
        return FieldProblem(
            field,
            f"{field} has the wrong type (got {given})",
            f"{label} hat den falschen Typ (angegeben: {given})",
        )
    return FieldProblem(field, f"{field}: {error['msg']}", f"{label}: {error['msg']}")
