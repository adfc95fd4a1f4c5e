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

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from eth_typing import ChecksumAddress

from govchain.chain.clients.trust_registry import TrustRegistryClient
from govchain.chain.errors import ChainError, TrustRegistryUnknownDid
from govchain.chain.types import (
    Accreditation,
    Did,
    DidRecord,
    LevelOfAssurance,
    OfficeId,
    OfficeRecord,
    OfficeStatus,
)
from govchain.credentials._cache import TtlLruCache
from govchain.credentials.errors import TrustUnavailableError, UnknownCredentialTypeError
from govchain.credentials.types import credential_type

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

    @abstractmethod
    def office_admin(self, office: OfficeId) -> ChecksumAddress:
        """The account that administers ``office`` (and so owns its status lists).
        TrustUnavailableError if the registry cannot be read."""


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

    Only credential types registered with this library are looked up (anything else
    is not accredited, without a chain read), and the caches are bounded LRU caches,
    so presentations cannot make them grow without limit.

    Args:
        client: the TrustRegistry client.
        max_age: seconds a snapshot stays fresh (at most the block period for
            "within one block"; 0 reads every time).
        clock: monotonic seconds.
        max_entries: how many (DID, vct) snapshots and offices are cached.
    """

    def __init__(
        self,
        client: TrustRegistryClient,
        *,
        max_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 4096,
    ) -> None:
        self.client = client
        self._clock = clock
        self._cache: TtlLruCache[tuple[str, str], TrustSnapshot] = TtlLruCache(
            max_entries, max_age, clock
        )
        self._offices: TtlLruCache[OfficeId, OfficeRecord] = TtlLruCache(
            max_entries, max_age, clock
        )
        self.max_age = max_age

    @property
    def max_age(self) -> float:
        """Seconds a read stays fresh."""
        return self._max_age

    @max_age.setter
    def max_age(self, seconds: float) -> None:
        self._max_age = seconds
        self._cache.ttl = seconds
        self._offices.ttl = seconds

    def _office(self, office: OfficeId, now: float) -> OfficeRecord:
        cached = self._offices.get(office)
        if cached is not None:
            return cached
        record = self.client.office(office)
        self._offices.put(office, record, at=now)
        return record

    def snapshot(self, did: Did, vct: str) -> TrustSnapshot:
        """The registry's state for (did, vct), fresh within ``max_age``.

        For a vct no credential type is registered for, no office can be accredited:
        the accreditations are not read, and nothing is cached under that vct.
        """
        try:
            credential_type(vct)
            registered = True
        except UnknownCredentialTypeError:
            registered = False
        now = self._clock()
        cached = self._cache.get((did, vct)) if registered else None
        if cached is not None:
            return cached
        try:
            try:
                record: DidRecord | None = self.client.did_record(did)
            except TrustRegistryUnknownDid:
                record = None
            if record is None:
                snapshot = TrustSnapshot(None, OfficeStatus.NONE, ())
            else:
                office = self._office(record.office_id, now)
                accreditations = (
                    tuple(self.client.accreditations(record.office_id, vct)) if registered else ()
                )
                snapshot = TrustSnapshot(record, office.status, accreditations)
        except ChainError as err:
            raise TrustUnavailableError(type(err).__name__) from err
        if registered:
            self._cache.put((did, vct), snapshot, at=now)
        return snapshot

    def trust_at(self, did: Did, vct: str, at: int) -> TrustVerdict:
        """Evaluate the (cached) registry state at ``at``."""
        return evaluate_trust(self.snapshot(did, vct), at)

    def office_admin(self, office: OfficeId) -> ChecksumAddress:
        """The office's admin account, fresh within ``max_age``."""
        try:
            return self._office(office, self._clock()).admin
        except ChainError as err:
            raise TrustUnavailableError(type(err).__name__) from err

    def refresh(self) -> None:
        """Forget everything cached."""
        self._cache.clear()
        self._offices.clear()
