"""The "Login mit BürgerID" logins on SQLite: one row per login, from the authorization
request to the tokens. Codes and access tokens are kept only as SHA-256 hashes.

States (declared here, changed only by the methods named)::

    pending ──issue_code──▶ code_issued ──redeem──▶ redeemed
       │                        │                     │
       ├──deny──▶ denied        │                     └─ a second redeem (code reuse):
       │                        │                        refused, and the access token
       └─ expires_at passes ─▶ expired  (derived)        issued for the code revoked
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["LoginPhase", "LoginRow", "LoginStore", "secret_hash"]


def secret_hash(value: str) -> str:
    """How codes and access tokens are stored: hex SHA-256 (they are random, 256 bits)."""
    return hashlib.sha256(value.encode()).hexdigest()


class LoginPhase(StrEnum):
    """Where a login stands."""

    PENDING = "pending"
    CODE_ISSUED = "code_issued"
    REDEEMED = "redeemed"
    DENIED = "denied"
    EXPIRED = "expired"


@dataclass(frozen=True)
class LoginRow:
    """A login: ``id`` is the browser's handle (the login page's URL); ``request_id``
    the OID4VP request behind it."""

    id: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str
    min_level: str
    request_id: str
    created_at: int
    expires_at: int
    code_expires_at: int | None
    code_used: bool
    denied_de: str | None
    sub: str | None
    acr: str | None
    auth_time: int | None
    claims: dict[str, Any] | None
    token_expires_at: int | None

    def phase(self, now: float) -> LoginPhase:
        """The login's state at ``now``."""
        if self.denied_de is not None:
            return LoginPhase.DENIED
        if self.code_used:
            return LoginPhase.REDEEMED
        if self.code_expires_at is not None:
            return LoginPhase.CODE_ISSUED
        return LoginPhase.EXPIRED if now >= self.expires_at else LoginPhase.PENDING


_SCHEMA = """
CREATE TABLE IF NOT EXISTS logins (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    state TEXT,
    nonce TEXT,
    code_challenge TEXT NOT NULL,
    min_level TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    code_hash TEXT UNIQUE,
    code_expires_at INTEGER,
    code_used INTEGER NOT NULL DEFAULT 0,
    denied_de TEXT,
    sub TEXT,
    acr TEXT,
    auth_time INTEGER,
    claims TEXT,
    token_hash TEXT UNIQUE,
    token_expires_at INTEGER
)
"""
_COLUMNS = (
    "id, client_id, redirect_uri, scope, state, nonce, code_challenge, min_level, request_id, "
    "created_at, expires_at, code_expires_at, code_used, denied_de, sub, acr, auth_time, "
    "claims, token_expires_at"
)


class LoginStore:
    """Logins in one SQLite file (WAL); every change is one committed statement."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add(self, row: LoginRow) -> None:
        """Store a new, pending login."""
        with self._lock:
            self._db.execute(
                "INSERT INTO logins (id, client_id, redirect_uri, scope, state, nonce, "
                "code_challenge, min_level, request_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.id,
                    row.client_id,
                    row.redirect_uri,
                    row.scope,
                    row.state,
                    row.nonce,
                    row.code_challenge,
                    row.min_level,
                    row.request_id,
                    row.created_at,
                    row.expires_at,
                ),
            )

    def _one(self, where: str, value: str) -> LoginRow | None:
        with self._lock:
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM logins WHERE {where} = ?", (value,)
            ).fetchone()
        if found is None:
            return None
        values = list(found)
        values[12] = bool(values[12])
        values[17] = json.loads(values[17]) if values[17] is not None else None
        return LoginRow(*values)

    def by_id(self, login_id: str) -> LoginRow | None:
        """The login with this id."""
        return self._one("id", login_id)

    def by_token(self, access_token: str) -> LoginRow | None:
        """The login an access token was issued for."""
        return self._one("token_hash", secret_hash(access_token))

    def issue_code(
        self,
        login_id: str,
        code: str,
        *,
        code_expires_at: int,
        sub: str,
        acr: str,
        auth_time: int,
        claims: dict[str, Any],
    ) -> bool:
        """pending → code_issued with the citizen's subject and claims; False if the
        login was not pending (a concurrent page view issued first, or it was denied)."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE logins SET code_hash = ?, code_expires_at = ?, sub = ?, acr = ?, "
                "auth_time = ?, claims = ? "
                "WHERE id = ? AND code_hash IS NULL AND denied_de IS NULL",
                (
                    secret_hash(code),
                    code_expires_at,
                    sub,
                    acr,
                    auth_time,
                    json.dumps(claims),
                    login_id,
                ),
            )
        return cursor.rowcount == 1

    def deny(self, login_id: str, reason_de: str) -> bool:
        """pending → denied, with the German reason the citizen sees."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE logins SET denied_de = ? WHERE id = ? AND code_hash IS NULL "
                "AND denied_de IS NULL",
                (reason_de, login_id),
            )
        return cursor.rowcount == 1

    def redeem(self, code: str) -> tuple[LoginRow | None, bool]:
        """code_issued → redeemed, atomically: (the login, True) for the first redemption;
        (the login, False) for a reuse, whose access token is revoked; (None, False) for
        a code never issued."""
        code_hash = secret_hash(code)
        with self._lock:
            cursor = self._db.execute(
                "UPDATE logins SET code_used = 1 WHERE code_hash = ? AND code_used = 0",
                (code_hash,),
            )
            first = cursor.rowcount == 1
            if not first:
                self._db.execute(
                    "UPDATE logins SET token_hash = NULL, token_expires_at = NULL "
                    "WHERE code_hash = ?",
                    (code_hash,),
                )
        found = self._one("code_hash", code_hash)
        return found, first

    def set_token(self, login_id: str, access_token: str, expires_at: int) -> None:
        """Record the access token issued for a redeemed code."""
        with self._lock:
            self._db.execute(
                "UPDATE logins SET token_hash = ?, token_expires_at = ? "
                "WHERE id = ? AND code_used = 1",
                (secret_hash(access_token), expires_at, login_id),
            )
