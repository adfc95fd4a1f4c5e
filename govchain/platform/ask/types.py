"""Domain types of the ASK (Aktenstrukturkataster): the vocabulary of a file structure.

Codes are English (they cross the API and sit in the database); every value has a German
label for the pages and the CSV export, because the catalogue's users work in German.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

__all__ = [
    "ArchivalValue",
    "EntryId",
    "EntryState",
    "Medium",
    "Official",
    "RecordType",
    "RetentionClass",
    "RetentionTrigger",
    "Role",
    "TenantId",
    "Transition",
    "VolumeUnit",
]

TenantId = NewType("TenantId", str)
"""A city or office that owns catalogue entries, e.g. ``aachen`` or ``soest.ordnungsamt``."""

EntryId = NewType("EntryId", str)
"""A catalogue entry's id: 32 hex digits, random, so ids reveal nothing across tenants."""


class Medium(StrEnum):
    """How the files of a structure are kept."""

    PAPER = "paper"
    DIGITAL = "digital"
    HYBRID = "hybrid"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {"paper": "Papier", "digital": "Digital", "hybrid": "Hybrid"}[self.value]


class VolumeUnit(StrEnum):
    """The unit of a structure's yearly volume."""

    RUNNING_METRES = "lfm"
    GIGABYTES = "gb"
    FILES = "files"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {"lfm": "lfm", "gb": "GB", "files": "Akten"}[self.value]


class RecordType(StrEnum):
    """The kind of files (Aktenart)."""

    CASE_FILE = "case_file"
    SUBJECT_FILE = "subject_file"
    PERSONNEL_FILE = "personnel_file"
    REGISTER = "register"
    OTHER = "other"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {
            "case_file": "Fallakte (Einzelfall)",
            "subject_file": "Sachakte",
            "personnel_file": "Personalakte",
            "register": "Register / Kartei",
            "other": "Sonstige",
        }[self.value]


class RetentionTrigger(StrEnum):
    """When the retention period starts.

    ``closing`` is the rule of most file plans: the period runs from the end of the
    calendar year in which a file was closed, so the year of handover can be computed.
    ``event`` (death, leaving the service, coming of age, ...) cannot be computed from
    the structure; such entries are listed separately in the evaluation.
    """

    CLOSING = "closing"
    EVENT = "event"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {
            "closing": "Ablauf des Jahres, in dem die Akte geschlossen wurde",
            "event": "Ereignis (z. B. Ausscheiden, Tod, Volljährigkeit)",
        }[self.value]


class ArchivalValue(StrEnum):
    """The archivist's assessment (Archivwürdigkeit); ``pending`` until reviewed."""

    YES = "yes"
    NO = "no"
    PARTIAL = "partial"
    PENDING = "pending"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {
            "yes": "archivwürdig",
            "no": "nicht archivwürdig",
            "partial": "teilweise archivwürdig",
            "pending": "noch nicht bewertet",
        }[self.value]


class EntryState(StrEnum):
    """Where a questionnaire entry stands: draft → submitted → reviewed (see service)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {"draft": "Entwurf", "submitted": "Eingereicht", "reviewed": "Bewertet"}[self.value]


class Transition(StrEnum):
    """The state changes of an entry; the rules are declared in ``service.TRANSITIONS``."""

    SUBMIT = "submit"
    RETURN = "return"
    REVIEW = "review"


class RetentionClass(StrEnum):
    """Retention periods grouped for evaluation and filtering (bounds in years)."""

    UP_TO_5 = "0-5"
    UP_TO_10 = "6-10"
    UP_TO_30 = "11-30"
    OVER_30 = "31-120"

    @property
    def bounds(self) -> tuple[int, int]:
        """The smallest and largest retention period (years) in this class."""
        low, high = self.value.split("-")
        return int(low), int(high)

    @property
    def label_de(self) -> str:
        """The German label."""
        low, high = self.bounds
        return f"bis {high} Jahre" if low == 0 else f"{low} bis {high} Jahre"

    @classmethod
    def of(cls, years: int) -> RetentionClass:
        """The class a retention period of ``years`` falls in."""
        for member in cls:
            low, high = member.bounds
            if low <= years <= high:
                return member
        raise ValueError(f"retention period {years} is outside 0 to 120 years")


class Role(StrEnum):
    """What an official may do in the catalogue."""

    OFFICIAL = "official"
    ARCHIVIST = "archivist"

    @property
    def label_de(self) -> str:
        """The German label."""
        return {"official": "Sachbearbeitung", "archivist": "Archiv"}[self.value]


@dataclass(frozen=True)
class Official:
    """The person acting: always inside exactly one tenant."""

    tenant: TenantId
    name: str
    role: Role
