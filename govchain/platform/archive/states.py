"""The archive's vocabulary in one place: the states an AIP goes through, the allowed
transitions between them, and the preservation event types (PREMIS-like).

Only ``ArchiveService._transition`` changes an AIP's state, and only along
``TRANSITIONS``; every transition is recorded as a preservation event.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TRANSITIONS", "AipState", "EventOutcome", "EventType"]


class AipState(StrEnum):
    """Where an archival information package (AIP) stands.

    ``stored``     validated and stored with fixity; its evidence awaits the first anchor
    ``preserved``  its evidence record is anchored; the protection period still runs
    ``released``   the protection period (Schutzfrist) is over: open to the public
    ``damaged``    a fixity check failed; access is blocked until the AIP is repaired
    """

    STORED = "stored"
    PRESERVED = "preserved"
    RELEASED = "released"
    DAMAGED = "damaged"

    @property
    def label_de(self) -> str:
        """The German label shown on pages."""
        return _LABELS_DE[self]


_LABELS_DE = {
    AipState.STORED: "gespeichert, Verankerung ausstehend",
    AipState.PRESERVED: "gesichert, Schutzfrist läuft",
    AipState.RELEASED: "freigegeben",
    AipState.DAMAGED: "beschädigt",
}


class EventType(StrEnum):
    """Preservation events, after the PREMIS event type vocabulary where it has a term."""

    INGESTION = "ingestion"
    FIXITY_CHECK = "fixity check"
    ANCHORING = "anchoring"
    EVIDENCE_RENEWAL = "evidence renewal"
    RELEASE = "release"
    REPAIR = "repair"

    @property
    def label_de(self) -> str:
        """The German label shown on pages."""
        return _EVENT_LABELS_DE[self]


_EVENT_LABELS_DE = {
    EventType.INGESTION: "Übernahme",
    EventType.FIXITY_CHECK: "Fixitätsprüfung",
    EventType.ANCHORING: "Verankerung",
    EventType.EVIDENCE_RENEWAL: "Beweiserneuerung",
    EventType.RELEASE: "Freigabe",
    EventType.REPAIR: "Wiederherstellung",
}


class EventOutcome(StrEnum):
    """A preservation event's outcome."""

    SUCCESS = "success"
    FAILURE = "failure"


# (from, to) -> the event type that records the transition.
TRANSITIONS: dict[tuple[AipState, AipState], EventType] = {
    (AipState.STORED, AipState.PRESERVED): EventType.ANCHORING,
    (AipState.PRESERVED, AipState.RELEASED): EventType.RELEASE,
    (AipState.STORED, AipState.DAMAGED): EventType.FIXITY_CHECK,
    (AipState.PRESERVED, AipState.DAMAGED): EventType.FIXITY_CHECK,
    (AipState.RELEASED, AipState.DAMAGED): EventType.FIXITY_CHECK,
    (AipState.DAMAGED, AipState.STORED): EventType.REPAIR,
    (AipState.DAMAGED, AipState.PRESERVED): EventType.REPAIR,
    (AipState.DAMAGED, AipState.RELEASED): EventType.REPAIR,
}
