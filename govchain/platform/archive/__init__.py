"""The Digitales Stadtarchiv: BagIt handovers stored as AIPs with SHA-256 and SHA-512
fixity, evidence records in the RFC 4998 structure anchored on chain, renewal, scheduled
fixity checks, and release when the protection period ends."""

from govchain.platform.archive.errors import ArchiveError
from govchain.platform.archive.evidence import (
    EvidenceRecord,
    EvidenceVerification,
    HashAlgorithm,
    load_evidence_record,
    verify_evidence_record,
)
from govchain.platform.archive.service import ArchivePolicy, ArchiveService, AuditView
from govchain.platform.archive.states import AipState, EventOutcome, EventType
from govchain.platform.archive.worker import ArchiveWorker

__all__ = [
    "AipState",
    "ArchiveError",
    "ArchivePolicy",
    "ArchiveService",
    "ArchiveWorker",
    "AuditView",
    "EventOutcome",
    "EventType",
    "EvidenceRecord",
    "EvidenceVerification",
    "HashAlgorithm",
    "load_evidence_record",
    "verify_evidence_record",
]
