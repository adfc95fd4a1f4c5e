"""What crosses the archive's boundary: AIPs, their files and events, fixity reports,
verification results and the public view of a released record."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from govchain.platform.archive.evidence import EvidenceVerification
from govchain.platform.archive.states import AipState, EventOutcome, EventType

__all__ = [
    "AipDetail",
    "AipFile",
    "AipSummary",
    "EvidenceStepOut",
    "EvidenceVerificationOut",
    "FixityProblem",
    "FixityReport",
    "PreservationEvent",
    "PublicFile",
    "PublicRecord",
]

_OUT = ConfigDict(frozen=True)


class AipSummary(BaseModel):
    """An AIP at a glance."""

    model_config = _OUT

    aip_id: str
    state: AipState
    office: str
    file_plan_number: str
    retention_end: date
    protection_end: date
    external_identifier: str | None
    description: str | None
    payload_files: int
    payload_bytes: int
    ingested_at: datetime
    released_at: datetime | None
    last_fixity_check_at: datetime | None
    next_fixity_check_at: datetime


class AipFile(BaseModel):
    """One stored file of one AIP version, with its fixity in both algorithms."""

    model_config = _OUT

    version: int
    path: str
    size: int
    sha256: str
    sha512: str


class PreservationEvent(BaseModel):
    """A preservation event, with PREMIS's semantic units as field names."""

    model_config = _OUT

    event_identifier: str
    event_type: EventType
    event_date_time: datetime
    event_outcome: EventOutcome
    event_outcome_detail: str
    event_outcome_detail_de: str
    linking_agent: str
    linking_object: str


class AipDetail(BaseModel):
    """An AIP with its versions' files, its events, and where its evidence stands."""

    model_config = _OUT

    aip: AipSummary
    namespace: str
    head_version: int
    files: list[AipFile]
    events: list[PreservationEvent]
    time_stamps_anchored: int
    time_stamps_pending: int


class FixityProblem(BaseModel):
    """One file that failed a fixity check."""

    model_config = _OUT

    version: int
    path: str
    problem_en: str
    problem_de: str


class FixityReport(BaseModel):
    """The outcome of one fixity check of one AIP."""

    model_config = _OUT

    aip_id: str
    checked_at: datetime
    files_checked: int
    ok: bool
    problems: list[FixityProblem]
    state: AipState


class EvidenceStepOut(BaseModel):
    """One verification step, with the anchor's own steps where it is a time stamp."""

    model_config = _OUT

    name: str
    ok: bool | None
    message_en: str
    message_de: str
    chain: int | None
    time_stamp: int | None
    receipt_steps: list[EvidenceStepOut]


class EvidenceVerificationOut(BaseModel):
    """An evidence record's verification: every step, and whether all held."""

    model_config = _OUT

    aip_id: str
    ok: bool
    failed: str | None
    steps: list[EvidenceStepOut]

    @classmethod
    def of(cls, aip_id: str, result: EvidenceVerification) -> EvidenceVerificationOut:
        """The HTTP form of a verification result."""
        failed = result.failed
        return cls(
            aip_id=aip_id,
            ok=result.ok,
            failed=None if failed is None else failed.name,
            steps=[
                EvidenceStepOut(
                    name=s.name,
                    ok=s.ok,
                    message_en=s.message_en,
                    message_de=s.message_de,
                    chain=s.chain,
                    time_stamp=s.time_stamp,
                    receipt_steps=[
                        EvidenceStepOut(
                            name=r.name,
                            ok=r.ok,
                            message_en=r.message_en,
                            message_de=r.message_de,
                            chain=s.chain,
                            time_stamp=s.time_stamp,
                            receipt_steps=[],
                        )
                        for r in (s.receipt.steps if s.receipt else [])
                    ],
                )
                for s in result.steps
            ],
        )


class PublicFile(BaseModel):
    """A file of a released record, as the public sees it."""

    model_config = _OUT

    path: str
    size: int
    sha256: str
    sha512: str
    url: str


class PublicRecord(BaseModel):
    """A released record: its metadata and payload files."""

    model_config = _OUT

    aip_id: str
    office: str
    file_plan_number: str
    protection_end: date
    released_at: datetime
    description: str | None
    external_identifier: str | None
    files: list[PublicFile]
