"""The verification requests on SQLite: one row per request, its secrets and its result.

States (declared here, changed only by ``RequestStore.answer``, ``answer_didcomm`` and
``fail``)::

    pending ──answer──▶ answered          (once; a second answer is a replay)
       │
       ├─ fail ─▶ failed                  (DIDComm only: agent down, wallet declined,
       │                                   service stopped; once, never after an answer)
       └─ expires_at passes ─▶ expired    (derived from the clock, never written)

A DIDComm request has a second row in ``didcomm`` (same id) with its out-of-band
invitation and how far the exchange got::

    invited ──requested──▶ requested      (the wallet connected; the present-proof
                                           request went out over that connection)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "Channel",
    "DidcommRow",
    "DidcommStage",
    "Failure",
    "RequestPhase",
    "RequestRow",
    "RequestStore",
]


class RequestPhase(StrEnum):
    """Where a verification request stands."""

    PENDING = "pending"
    ANSWERED = "answered"
    FAILED = "failed"
    EXPIRED = "expired"


class Channel(StrEnum):
    """How the wallet answers: OpenID4VP (SD-JWT VC) or DIDComm (JSON-LD, Aries wallets)."""

    OID4VP = "oid4vp"
    DIDCOMM = "didcomm"


class DidcommStage(StrEnum):
    """How far a pending DIDComm request got."""

    INVITED = "invited"  # the invitation is shown; no wallet has connected yet
    REQUESTED = "requested"  # a wallet connected; the presentation request went out


@dataclass(frozen=True)
class Failure:
    """Why a DIDComm request ended without a result (one sentence each way)."""

    code: str
    message: str
    message_de: str


@dataclass(frozen=True)
class DidcommRow:
    """The DIDComm side of a request: the invitation (shown as QR code) and the agent's
    records of the exchange, so it can be followed and cleaned up."""

    request_id: str
    invi_msg_id: str
    invitation_url: str
    stage: DidcommStage
    connection_id: str | None
    pres_ex_id: str | None
    challenge: str | None
    failure: Failure | None


@dataclass(frozen=True)
class RequestRow:
    """A stored request: ``id`` is the official's handle (reads the result); ``ref`` is
    in the QR code; ``state`` and ``nonce`` are in the signed request object."""

    id: str
    ref: str
    state: str
    nonce: str
    check: str
    params: dict[str, Any]
    created_at: int
    expires_at: int
    answered: bool
    answered_at: int | None
    result: dict[str, Any] | None

    def phase(self, now: float, failed: bool = False) -> RequestPhase:
        """The request's state at ``now`` (``failed``: its DIDComm row holds a failure)."""
        if self.answered:
            return RequestPhase.ANSWERED
        if failed:
            return RequestPhase.FAILED
        return RequestPhase.EXPIRED if now >= self.expires_at else RequestPhase.PENDING


_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL UNIQUE,
    check_name TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    answered_at INTEGER,
    result TEXT
)
"""
_DIDCOMM_SCHEMA = """
CREATE TABLE IF NOT EXISTS didcomm (
    request_id TEXT PRIMARY KEY REFERENCES requests(id),
    invi_msg_id TEXT NOT NULL UNIQUE,
    invitation_url TEXT NOT NULL,
    stage TEXT NOT NULL,
    connection_id TEXT,
    pres_ex_id TEXT,
    challenge TEXT,
    failure TEXT,
    failed_at INTEGER
)
"""
_DIDCOMM_COLUMNS = (
    "request_id, invi_msg_id, invitation_url, stage, connection_id, pres_ex_id, challenge, failure"
)
_COLUMNS = (
    "id, ref, state, nonce, check_name, params, created_at, expires_at, answered, "
    "answered_at, result"
)


class RequestStore:
    """Requests in one SQLite file (WAL); every write is one committed statement."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL: a commit survives a crash of the process; a power loss may lose the
        # last answers (the wallet can answer again while the request is open).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.execute(_DIDCOMM_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add(self, row: RequestRow) -> None:
        """Store a new, pending request."""
        with self._lock:
            self._insert(row)

    def _insert(self, row: RequestRow) -> None:
        self._db.execute(
            f"INSERT INTO requests ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)",
            (
                row.id,
                row.ref,
                row.state,
                row.nonce,
                row.check,
                json.dumps(row.params),
                row.created_at,
                row.expires_at,
            ),
        )

    def add_didcomm(self, row: RequestRow, invi_msg_id: str, invitation_url: str) -> None:
        """Store a new, pending DIDComm request and its invitation (one transaction)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._insert(row)
                self._db.execute(
                    "INSERT INTO didcomm (request_id, invi_msg_id, invitation_url, stage) "
                    "VALUES (?, ?, ?, ?)",
                    (row.id, invi_msg_id, invitation_url, DidcommStage.INVITED.value),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def didcomm(self, request_id: str) -> DidcommRow | None:
        """The DIDComm side of a request; None for an OID4VP request."""
        with self._lock:
            found = self._db.execute(
                f"SELECT {_DIDCOMM_COLUMNS} FROM didcomm WHERE request_id = ?", (request_id,)
            ).fetchone()
        if found is None:
            return None
        failure = json.loads(found[7]) if found[7] is not None else None
        return DidcommRow(
            request_id=found[0],
            invi_msg_id=found[1],
            invitation_url=found[2],
            stage=DidcommStage(found[3]),
            connection_id=found[4],
            pres_ex_id=found[5],
            challenge=found[6],
            failure=Failure(**failure) if failure is not None else None,
        )

    def didcomm_requested(
        self, request_id: str, connection_id: str, pres_ex_id: str, challenge: str
    ) -> None:
        """invited → requested: a wallet connected and was sent the presentation request."""
        with self._lock:
            self._db.execute(
                "UPDATE didcomm SET stage = ?, connection_id = ?, pres_ex_id = ?, challenge = ? "
                "WHERE request_id = ? AND stage = ?",
                (
                    DidcommStage.REQUESTED.value,
                    connection_id,
                    pres_ex_id,
                    challenge,
                    request_id,
                    DidcommStage.INVITED.value,
                ),
            )

    def answer_didcomm(self, request_id: str, result: dict[str, Any], now: int) -> bool:
        """pending → answered for a DIDComm request that has not failed; atomically."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE requests SET answered = 1, answered_at = ?, result = ? "
                "WHERE id = ? AND answered = 0 AND expires_at > ? AND NOT EXISTS "
                "(SELECT 1 FROM didcomm WHERE request_id = ? AND failure IS NOT NULL)",
                (now, json.dumps(result), request_id, now, request_id),
            )
        return cursor.rowcount == 1

    def fail(self, request_id: str, failure: Failure, now: int) -> bool:
        """pending → failed (DIDComm); False if it was answered, failed or expired first."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE didcomm SET failure = ?, failed_at = ? "
                "WHERE request_id = ? AND failure IS NULL AND EXISTS "
                "(SELECT 1 FROM requests WHERE id = ? AND answered = 0 AND expires_at > ?)",
                (json.dumps(asdict(failure)), now, request_id, request_id, now),
            )
        return cursor.rowcount == 1

    def _one(self, column: str, value: str) -> RequestRow | None:
        with self._lock:
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE {column} = ?", (value,)
            ).fetchone()
        if found is None:
            return None
        return RequestRow(
            id=found[0],
            ref=found[1],
            state=found[2],
            nonce=found[3],
            check=found[4],
            params=json.loads(found[5]),
            created_at=found[6],
            expires_at=found[7],
            answered=bool(found[8]),
            answered_at=found[9],
            result=json.loads(found[10]) if found[10] is not None else None,
        )

    def by_id(self, request_id: str) -> RequestRow | None:
        """The request with this id."""
        return self._one("id", request_id)

    def by_ref(self, ref: str) -> RequestRow | None:
        """The request whose request object is at this reference."""
        return self._one("ref", ref)

    def by_state(self, state: str) -> RequestRow | None:
        """The request with this OID4VP ``state``."""
        return self._one("state", state)

    def answer(self, request_id: str, result: dict[str, Any], now: int) -> bool:
        """pending → answered, atomically; False if it was answered (or expired) first."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE requests SET answered = 1, answered_at = ?, result = ? "
                "WHERE id = ? AND answered = 0 AND expires_at > ?",
                (now, json.dumps(result), request_id, now),
            )
        return cursor.rowcount == 1
