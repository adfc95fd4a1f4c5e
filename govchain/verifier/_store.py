"""The verification requests on SQLite: one row per request, its secrets and its result.

States (declared here, changed only by ``RequestStore.answer``)::

    pending ──answer──▶ answered          (once; a second answer is a replay)
       │
       └─ expires_at passes ─▶ expired    (derived from the clock, never written)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["RequestPhase", "RequestRow", "RequestStore"]


class RequestPhase(StrEnum):
    """Where a verification request stands."""

    PENDING = "pending"
    ANSWERED = "answered"
    EXPIRED = "expired"


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

    def phase(self, now: float) -> RequestPhase:
        """The request's state at ``now``."""
        if self.answered:
            return RequestPhase.ANSWERED
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
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add(self, row: RequestRow) -> None:
        """Store a new, pending request."""
        with self._lock:
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
