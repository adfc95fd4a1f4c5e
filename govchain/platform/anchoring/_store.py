"""The durable queue of the anchoring service: SQLite in WAL mode, fully synchronous.

A hash is accepted only once its row is committed, so nothing accepted is lost on kill -9
or power loss. Anchors go through explicit states, declared here and changed only by the
service: ``prepared`` (size and root fixed, not yet sent) → ``sent`` (transaction hash
known) → ``confirmed`` (on chain, block and time recorded).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["AnchorRow", "AnchorState", "AnchorStore", "NamespaceRow"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS namespaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    ns INTEGER NOT NULL REFERENCES namespaces(id),
    seq INTEGER NOT NULL,
    document_hash BLOB NOT NULL CHECK (length(document_hash) = 32),
    accepted_at REAL NOT NULL,
    PRIMARY KEY (ns, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anchors (
    ns INTEGER NOT NULL REFERENCES namespaces(id),
    tree_size INTEGER NOT NULL,
    root BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'confirmed')),
    tx_hash TEXT,
    block_number INTEGER,
    block_time INTEGER,
    anchor_index INTEGER,
    prepared_at REAL NOT NULL,
    confirmed_at REAL,
    PRIMARY KEY (ns, tree_size)
);
"""


@dataclass
class _Append:
    """One caller's hashes waiting for the next group commit."""

    name: str
    hashes: Sequence[bytes]
    first: int = -1
    done: bool = False
    error: Exception | None = None


class AnchorState(StrEnum):
    """Where an anchor stands."""

    PREPARED = "prepared"
    SENT = "sent"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class NamespaceRow:
    """A namespace known to this service."""

    id: int
    name: str
    size: int


@dataclass(frozen=True)
class AnchorRow:
    """One anchor of a namespace's log."""

    namespace: str
    tree_size: int
    root: bytes
    state: AnchorState
    tx_hash: str | None
    block_number: int | None
    block_time: int | None
    anchor_index: int | None


class AnchorStore:
    """SQLite storage of namespaces, accepted hashes and anchors."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Append] = []
        self._sizes: dict[str, int] = {}
        self._ids: dict[str, int] = {}
        for ns_id, name in self._db.execute("SELECT id, name FROM namespaces"):
            self._ids[name] = ns_id
            row = self._db.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM entries WHERE ns = ?", (ns_id,)
            ).fetchone()
            self._sizes[name] = int(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # --- namespaces -----------------------------------------------------------------

    def add_namespace(self, name: str) -> None:
        """Register a namespace locally (idempotent)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO namespaces (name, created_at) VALUES (?, ?)",
                (name, time.time()),
            )
            (ns_id,) = db.execute("SELECT id FROM namespaces WHERE name = ?", (name,)).fetchone()
        self._ids.setdefault(name, int(ns_id))
        self._sizes.setdefault(name, 0)

    def namespaces(self) -> list[NamespaceRow]:
        """All namespaces with their log sizes."""
        return [NamespaceRow(self._ids[n], n, self._sizes[n]) for n in sorted(self._ids)]

    def has_namespace(self, name: str) -> bool:
        """Whether the namespace is registered here."""
        return name in self._ids

    def size(self, name: str) -> int:
        """How many hashes the namespace's log holds."""
        return self._sizes[name]

    # --- entries --------------------------------------------------------------------

    def append(self, name: str, hashes: Sequence[bytes]) -> int:
        """Durably append hashes; returns the sequence number of the first one.

        Group commit: appends from concurrent threads that arrive while a commit is in
        progress are written together in the next transaction, so one fsync serves many
        requests. A call returns only after the transaction holding its hashes committed.
        """
        request = _Append(name, hashes)
        with self._pending_lock:
            self._pending.append(request)
        with self._lock:
            if not request.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._commit_appends(batch)
        if request.error is not None:
            raise request.error
        return request.first

    def _commit_appends(self, batch: list[_Append]) -> None:
        now = time.time()
        sizes = dict(self._sizes)
        try:
            with self._transaction() as db:
                for request in batch:
                    ns_id = self._ids[request.name]
                    first = sizes[request.name]
                    db.executemany(
                        "INSERT INTO entries (ns, seq, document_hash, accepted_at) "
                        "VALUES (?, ?, ?, ?)",
                        ((ns_id, first + i, h, now) for i, h in enumerate(request.hashes)),
                    )
                    request.first = first
                    sizes[request.name] = first + len(request.hashes)
        except Exception as err:
            for request in batch:
                request.error = err
                request.done = True
            return
        self._sizes = sizes
        for request in batch:
            request.done = True

    def document_hashes(self, name: str, start: int, end: int) -> list[bytes]:
        """The accepted hashes with sequence numbers in ``[start, end)``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT document_hash FROM entries "
                "WHERE ns = ? AND seq >= ? AND seq < ? ORDER BY seq",
                (self._ids[name], start, end),
            )
            return [bytes(r[0]) for r in rows]

    def document_hash(self, name: str, seq: int) -> bytes | None:
        """One accepted hash, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT document_hash FROM entries WHERE ns = ? AND seq = ?", (self._ids[name], seq)
            ).fetchone()
            return bytes(row[0]) if row else None

        # --- anchors --------------------------------------------------------------------

    def _anchor(self, name: str, row: tuple[object, ...]) -> AnchorRow:
        tree_size, root, state, tx_hash, block_number, block_time, anchor_index = row
        return AnchorRow(
            namespace=name,
            tree_size=int(tree_size),  # type: ignore[call-overload]
            root=bytes(root),  # type: ignore[call-overload]
            state=AnchorState(str(state)),
            tx_hash=tx_hash,  # type: ignore[arg-type]
            block_number=block_number,  # type: ignore[arg-type]
            block_time=block_time,  # type: ignore[arg-type]
            anchor_index=anchor_index,  # type: ignore[arg-type]
        )

    _COLUMNS = "tree_size, root, state, tx_hash, block_number, block_time, anchor_index"

    def open_anchor(self, name: str) -> AnchorRow | None:
        """The anchor of this namespace that is prepared or sent but not confirmed."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._COLUMNS} FROM anchors WHERE ns = ? AND state != 'confirmed'",
                (self._ids[name],),
            ).fetchone()
            return self._anchor(name, row) if row else None

    def confirmed_size(self, name: str) -> int:
        """The largest confirmed anchored tree size (0 if none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(MAX(tree_size), 0) FROM anchors "
                "WHERE ns = ? AND state = 'confirmed'",
                (self._ids[name],),
            ).fetchone()
            return int(row[0])

    def covering_anchor(self, name: str, seq: int) -> AnchorRow | None:
        """The first confirmed anchor whose tree contains entry ``seq``."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._COLUMNS} FROM anchors WHERE ns = ? AND state = 'confirmed' "
                "AND tree_size > ? ORDER BY tree_size LIMIT 1",
                (self._ids[name], seq),
            ).fetchone()
            return self._anchor(name, row) if row else None

    def anchors(self, name: str) -> list[AnchorRow]:
        """All anchors of a namespace, smallest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM anchors WHERE ns = ? ORDER BY tree_size",
                (self._ids[name],),
            )
            return [self._anchor(name, r) for r in rows]

    def prepare_anchor(self, name: str, tree_size: int, root: bytes) -> AnchorRow:
        """Record the intent to anchor ``root`` at ``tree_size`` (before any transaction)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO anchors (ns, tree_size, root, state, prepared_at) "
                "VALUES (?, ?, ?, 'prepared', ?)",
                (self._ids[name], tree_size, root, time.time()),
            )
        return AnchorRow(name, tree_size, root, AnchorState.PREPARED, None, None, None, None)

    def mark_sent(self, name: str, tree_size: int, tx_hash: str) -> None:
        """Record the hash of the transaction that carries the anchor."""
        with self._transaction() as db:
            db.execute(
                "UPDATE anchors SET state = 'sent', tx_hash = ? WHERE ns = ? AND tree_size = ? "
                "AND state != 'confirmed'",
                (tx_hash, self._ids[name], tree_size),
            )

    def confirm(
        self,
        name: str,
        tree_size: int,
        *,
        tx_hash: str,
        block_number: int,
        block_time: int,
        anchor_index: int,
    ) -> None:
        """Record the anchor as on chain."""
        with self._transaction() as db:
            db.execute(
                "UPDATE anchors SET state = 'confirmed', tx_hash = ?, block_number = ?, "
                "block_time = ?, anchor_index = ?, confirmed_at = ? WHERE ns = ? AND tree_size = ?",
                (
                    tx_hash,
                    block_number,
                    block_time,
                    anchor_index,
                    time.time(),
                    self._ids[name],
                    tree_size,
                ),
            )
