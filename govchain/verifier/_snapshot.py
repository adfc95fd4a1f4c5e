"""Offline mode: a signed snapshot of the status lists and trust records the verifier
needs, used only when its chain node cannot be reached.

The snapshot is a JWT (``typ: govchain-verifier-snapshot+jwt``) signed with the
verifier's own key; it holds, at one moment ``taken_at``, the whole packed status lists
(with owner, size and creation time) the verifier has read, and per (issuer DID, vct)
the TrustRegistry's state (DID record, office status, accreditations) plus each office's
admin. Its signature is checked when it is loaded. ``OfflineStatusSource`` and
``OfflineTrustSource`` ask the chain first and fall back to the snapshot only when the
chain is unavailable; a snapshot older than ``max_age`` is not used, so the result is
"cannot verify". Inherent limit: a credential suspended or revoked after ``taken_at``
still reads as valid offline; the result says so ("Offline geprüft mit Stand vom …").
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from eth_typing import ChecksumAddress

from govchain.chain.errors import ChainError
from govchain.chain.types import (
    Accreditation,
    CredentialStatus,
    Did,
    DidRecord,
    LevelOfAssurance,
    OfficeId,
    OfficeStatus,
    StatusListRecord,
)
from govchain.credentials import SigningKey, StatusSource, TrustSource
from govchain.credentials.errors import StatusUnavailableError, TrustUnavailableError
from govchain.credentials.jose import parse_compact_jws, sign_compact_jws
from govchain.credentials.keys import PublicKey
from govchain.credentials.status import entry_of
from govchain.credentials.trust import TrustSnapshot, TrustVerdict, evaluate_trust
from govchain.errors import GovchainError
from govchain.verifier.errors import SnapshotInvalidError

__all__ = [
    "SNAPSHOT_TYP",
    "OfflineStatusSource",
    "OfflineTrustSource",
    "Snapshot",
    "load_snapshot",
    "offline_use",
    "sign_snapshot",
    "take_snapshot",
]

SNAPSHOT_TYP: Final = "govchain-verifier-snapshot+jwt"
MAX_REMEMBERED: Final = 1024
"""How many lists and (DID, vct) pairs the sources remember for the next snapshot."""

offline_use: ContextVar[int | None] = ContextVar("offline_use", default=None)
"""Set to the snapshot's ``taken_at`` when a verification read from the snapshot."""


@dataclass(frozen=True)
class Snapshot:
    """Status lists and trust state read at ``taken_at`` (unix seconds)."""

    taken_at: int
    lists: dict[str, tuple[StatusListRecord, bytes]] = field(default_factory=dict)
    trust: dict[tuple[str, str], TrustSnapshot] = field(default_factory=dict)
    admins: dict[str, ChecksumAddress] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The JWT payload."""
        return {
            "taken_at": self.taken_at,
            "lists": [
                {
                    "uri": uri,
                    "list_id": r.list_id,
                    "owner": r.owner,
                    "size": r.size,
                    "created_at": r.created_at,
                    "packed": base64.b64encode(packed).decode(),
                }
                for uri, (r, packed) in self.lists.items()
            ],
            "trust": [_trust_json(did, vct, t) for (did, vct), t in self.trust.items()],
            "admins": dict(self.admins),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Snapshot:
        """Read a payload; KeyError/TypeError/ValueError for a malformed one."""
        lists = {
            str(item["uri"]): (
                StatusListRecord(
                    int(item["list_id"]), item["owner"], int(item["size"]), int(item["created_at"])
                ),
                base64.b64decode(item["packed"], validate=True),
            )
            for item in payload["lists"]
        }
        trust = {(str(t["did"]), str(t["vct"])): _trust_from_json(t) for t in payload["trust"]}
        admins = {str(k): v for k, v in dict(payload["admins"]).items()}
        return cls(int(payload["taken_at"]), lists, trust, admins)


def _trust_json(did: str, vct: str, t: TrustSnapshot) -> dict[str, Any]:
    record = t.did_record
    return {
        "did": did,
        "vct": vct,
        "did_record": None
        if record is None
        else {
            "office_id": record.office_id.hex(),
            "did": record.did,
            "key_thumbprint": record.key_thumbprint.hex(),
            "valid_from": record.valid_from,
            "valid_until": record.valid_until,
        },
        "office_status": int(t.office_status),
        "accreditations": [
            [a.vct, a.valid_from, a.valid_until, int(a.level_of_assurance), a.recorded_at]
            for a in t.accreditations
        ],
    }


def _trust_from_json(t: dict[str, Any]) -> TrustSnapshot:
    r = t["did_record"]
    record = (
        None
        if r is None
        else DidRecord(
            OfficeId(bytes.fromhex(r["office_id"])),
            Did(str(r["did"])),
            bytes.fromhex(r["key_thumbprint"]),
            int(r["valid_from"]),
            int(r["valid_until"]),
        )
    )
    accreditations = tuple(
        Accreditation(str(v), int(f), int(u), LevelOfAssurance(int(lv)), int(at))
        for v, f, u, lv, at in t["accreditations"]
    )
    return TrustSnapshot(record, OfficeStatus(int(t["office_status"])), accreditations)


def take_snapshot(
    status: StatusSource,
    trust: TrustSource,
    lists: Iterable[str],
    pairs: Iterable[tuple[str, str]],
    now: int,
) -> Snapshot:
    """Read the given lists and (DID, vct) pairs now (from the chain: call while online)."""
    snapshot = Snapshot(taken_at=now)
    for uri in lists:
        snapshot.lists[uri] = (status.list_record(uri), status.packed_list(uri))
    chain_trust = trust.primary if isinstance(trust, OfflineTrustSource) else trust
    read = getattr(chain_trust, "snapshot", None)
    if read is None:
        raise TypeError("trust snapshots need a ChainTrustSource")
    for did, vct in pairs:
        state: TrustSnapshot = read(Did(did), vct)
        snapshot.trust[(did, vct)] = state
        if state.did_record is not None:
            office = state.did_record.office_id
            snapshot.admins[office.hex()] = trust.office_admin(office)
    return snapshot


def sign_snapshot(snapshot: Snapshot, key: SigningKey, kid: str) -> str:
    """The snapshot as a JWT signed by the verifier's key."""
    return sign_compact_jws({"typ": SNAPSHOT_TYP, "kid": kid}, snapshot.to_payload(), key)


def load_snapshot(token: str, key: PublicKey) -> Snapshot:
    """A snapshot whose signature verifies under the verifier's own key; else refused."""
    try:
        jws = parse_compact_jws(token.strip())
    except (GovchainError, ValueError) as err:
        raise SnapshotInvalidError("it is not a readable JWT", "kein lesbares JWT") from err
    if jws.header.get("typ") != SNAPSHOT_TYP:
        raise SnapshotInvalidError("wrong typ", "falscher typ")
    if not jws.verify_with(key):
        raise SnapshotInvalidError(
            "its signature does not verify under the verifier's key",
            "die Signatur passt nicht zum Schlüssel des Prüfdienstes",
        )
    try:
        return Snapshot.from_payload(jws.payload)
    except (KeyError, TypeError, ValueError) as err:
        raise SnapshotInvalidError("its content is malformed", "der Inhalt ist fehlerhaft") from err


class _Fallback:
    """The snapshot in use (replaced atomically) and its freshness rule."""

    def __init__(self, max_age: int, clock: Callable[[], float]) -> None:
        self.snapshot: Snapshot | None = None
        self.max_age = max_age
        self._clock = clock

    def usable(self) -> Snapshot | None:
        """The snapshot if it is young enough, marking this verification as offline."""
        snapshot = self.snapshot
        if snapshot is None or self._clock() - snapshot.taken_at > self.max_age:
            return None
        offline_use.set(snapshot.taken_at)
        return snapshot


class _Remembered:
    """Bounded record of what was read online, for the next snapshot."""

    def __init__(self) -> None:
        self._items: dict[Any, None] = {}
        self._lock = threading.Lock()

    def add(self, item: Any) -> None:
        with self._lock:
            if item not in self._items and len(self._items) < MAX_REMEMBERED:
                self._items[item] = None

    def items(self) -> list[Any]:
        with self._lock:
            return list(self._items)


class OfflineStatusSource(StatusSource):
    """The chain's status source, falling back to the snapshot while the chain is down."""

    def __init__(self, primary: StatusSource, fallback: _Fallback) -> None:
        self.primary = primary
        self.fallback = fallback
        self.seen = _Remembered()

    def _offline(self, uri: str, err: Exception) -> tuple[StatusListRecord, bytes]:
        snapshot = self.fallback.usable()
        if snapshot is None or uri not in snapshot.lists:
            raise StatusUnavailableError(uri, "chain unreachable, no usable snapshot") from err
        return snapshot.lists[uri]

    def status(self, uri: str, index: int) -> CredentialStatus:
        try:
            value = self.primary.status(uri, index)
        except (StatusUnavailableError, ChainError) as err:
            packed = self._offline(uri, err)[1]
            try:
                return entry_of(packed, index)
            except IndexError as bad:
                raise StatusUnavailableError(uri, "index outside the snapshot") from bad
        self.seen.add(uri)
        return value

    def packed_list(self, uri: str) -> bytes:
        try:
            return self.primary.packed_list(uri)
        except (StatusUnavailableError, ChainError) as err:
            return self._offline(uri, err)[1]

    def list_record(self, uri: str) -> StatusListRecord:
        try:
            return self.primary.list_record(uri)
        except (StatusUnavailableError, ChainError) as err:
            return self._offline(uri, err)[0]


class OfflineTrustSource(TrustSource):
    """The chain's trust source, falling back to the snapshot while the chain is down."""

    def __init__(self, primary: TrustSource, fallback: _Fallback) -> None:
        self.primary = primary
        self.fallback = fallback
        self.seen = _Remembered()

    def trust_at(self, did: Did, vct: str, at: int) -> TrustVerdict:
        try:
            verdict = self.primary.trust_at(did, vct, at)
        except (TrustUnavailableError, ChainError) as err:
            snapshot = self.fallback.usable()
            state = snapshot.trust.get((did, vct)) if snapshot is not None else None
            if state is None:
                raise TrustUnavailableError("chain unreachable, no usable snapshot") from err
            return evaluate_trust(state, at)
        self.seen.add((did, vct))
        return verdict

    def office_admin(self, office: OfficeId) -> ChecksumAddress:
        try:
            return self.primary.office_admin(office)
        except (TrustUnavailableError, ChainError) as err:
            snapshot = self.fallback.usable()
            admin = snapshot.admins.get(office.hex()) if snapshot is not None else None
            if admin is None:
                raise TrustUnavailableError("chain unreachable, no usable snapshot") from err
            return admin


def offline_sources(
    status: StatusSource, trust: TrustSource, max_age: int, clock: Callable[[], float]
) -> tuple[OfflineStatusSource, OfflineTrustSource]:
    """Both sources sharing one fallback snapshot."""
    fallback = _Fallback(max_age, clock)
    return OfflineStatusSource(status, fallback), OfflineTrustSource(trust, fallback)
