"""Trust: was an issuer DID accredited for a credential type when it issued?

The answer rests on the TrustRegistry. ``ChainTrustSource`` reads, per (DID, vct), the
DID record, the office's status and the office's accreditations for the type, keeps
them for at most ``max_age`` seconds, and evaluates them exactly as the contract's
``trustAt`` does (a test holds the two side by side). Reading the state rather than
asking ``trustAt`` per credential lets a verifier answer for any issuance time from
one warm cache. It also tells an accreditation that *ended* before issuance from one
that never existed, and hands out the registered key thumbprint so the verifier can
check the signing key against the registry.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from govchain.chain.clients.trust_registry import TrustRegistryClient
from govchain.chain.errors import ChainError, TrustRegistryUnknownDid
from govchain.chain.types import (
    Accreditation,
    Did,
    DidRecord,
    LevelOfAssurance,
    OfficeId,
    OfficeStatus,
)
from govchain.credentials.errors import TrustUnavailableError

__all__ = ["ChainTrustSource", "TrustOutcome", "TrustSource", "TrustVerdict", "evaluate_trust"]


class TrustOutcome(StrEnum):
    """The trust registry's answer, with ended accreditations told apart."""

    TRUSTED = "trusted"
    UNKNOWN_DID = "unknown_did"
    DID_NOT_VALID_AT_TIME = "did_not_valid_at_time"
    OFFICE_NOT_ACTIVE = "office_not_active"
    NOT_ACCREDITED = "not_accredited"
    ACCREDITATION_ENDED = "accreditation_ended"


@dataclass(frozen=True, slots=True)
class TrustVerdict:
    """Whether a DID was trusted for a vct at a time, and on what grounds."""

    outcome: TrustOutcome
    office_id: OfficeId | None = None
    level_of_assurance: LevelOfAssurance | None = None
    key_thumbprint: bytes | None = None

    @property
    def trusted(self) -> bool:
        """Trusted at that time (level of assurance still to be compared by the caller)."""
        return self.outcome is TrustOutcome.TRUSTED


class TrustSource(ABC):
    """Where a verifier learns whether an issuer was trusted."""

    @abstractmethod
    def trust_at(self, did: Did, vct: str, at: int) -> TrustVerdict:
        """Was ``did`` accredited for ``vct`` at unix time ``at`` (and is its office
        active)? TrustUnavailableError if the registry cannot be read."""


@dataclass(frozen=True, slots=True)
class TrustSnapshot:
    """What the registry says about one DID and one vct, read at one moment."""

    did_record: DidRecord | None
    office_status: OfficeStatus
    accreditations: tuple[Accreditation, ...]


def evaluate_trust(snapshot: TrustSnapshot, at: int) -> TrustVerdict:
    """The TrustRegistry's ``trustAt`` rule on a snapshot, plus "ended before ``at``"."""
    record = snapshot.did_record
    if record is None:
        return TrustVerdict(TrustOutcome.UNKNOWN_DID)
    office, thumbprint = record.office_id, record.key_thumbprint
    if not record.valid_from <= at < record.valid_until:
        return TrustVerdict(TrustOutcome.DID_NOT_VALID_AT_TIME, office, None, thumbprint)
    if snapshot.office_status is not OfficeStatus.ACTIVE:
        return TrustVerdict(TrustOutcome.OFFICE_NOT_ACTIVE, office, None, thumbprint)
    level = 0
    ended = False
    for a in snapshot.accreditations:
        if a.valid_from <= at < a.valid_until and at >= a.recorded_at:
            level = max(level, int(a.level_of_assurance))
        elif a.valid_from <= at and a.valid_until <= at:
            ended = True
    if level:
        return TrustVerdict(TrustOutcome.TRUSTED, office, LevelOfAssurance(level), thumbprint)
    outcome = TrustOutcome.ACCREDITATION_ENDED if ended else TrustOutcome.NOT_ACCREDITED
    return TrustVerdict(outcome, office, None, thumbprint)


class ChainTrustSource(TrustSource):
    """Trust from the TrustRegistry on the verifier's own node, with a short cache.

    Args:
        client: the TrustRegistry client.
        max_age: seconds a snapshot stays fresh (at most the block period for
            "within one block"; 0 reads every time).
        clock: monotonic seconds.
    """

    def __init__(
        self,
        client: TrustRegistryClient,
        *,
        max_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.max_age = max_age
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, TrustSnapshot]] = {}
        self._lock = threading.Lock()

    def snapshot(self, did: Did, vct: str) -> TrustSnapshot:
        """The registry's state for (did, vct), fresh within ``max_age``."""
        now = self._clock()
        cached = self._cache.get((did, vct))
        if cached is not None and now - cached[0] < self.max_age:
            return cached[1]
        try:
            try:
                record: DidRecord | None = self.client.did_record(did)
            except TrustRegistryUnknownDid:
                record = None
            if record is None:
                snapshot = TrustSnapshot(None, OfficeStatus.NONE, ())
            else:
                office = self.client.office(record.office_id)
                accreditations = tuple(self.client.accreditations(record.office_id, vct))
                snapshot = TrustSnapshot(record, office.status, accreditations)
        except ChainError as err:
            raise TrustUnavailableError(type(err).__name__) from err
        with self._lock:
            self._cache[(did, vct)] = (now, snapshot)
        return snapshot

    def trust_at(self, did: Did, vct: str, at: int) -> TrustVerdict:
        """Evaluate the (cached) registry state at ``at``."""
        return evaluate_trust(self.snapshot(did, vct), at)

    def refresh(self) -> None:
        """Forget everything cached."""
        with self._lock:
            self._cache.clear()
