"""The ASK (Aktenstrukturkataster) of the Digitales Stadtarchiv: a multi-tenant catalogue
of each office's file structures, captured by questionnaire, searched, evaluated by
criteria (volume, retention, medium, archival value) and exported as CSV or JSON.

The JSON API lives under ``/ask/v1``, the German pages under ``/ask`` (see docs/ask.md).
"""

from govchain.platform.ask.errors import AskError
from govchain.platform.ask.service import TRANSITIONS, AskService
from govchain.platform.ask.types import (
    ArchivalValue,
    EntryState,
    Medium,
    Official,
    RecordType,
    RetentionClass,
    RetentionTrigger,
    Role,
    TenantId,
    Transition,
    VolumeUnit,
)

__all__ = [
    "TRANSITIONS",
    "ArchivalValue",
    "AskError",
    "AskService",
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
