"""The anchoring service: accept document hashes durably, anchor each namespace's Merkle
log on chain in one transaction per anchor, and hand out receipts.

Exactly once, also across kill -9: an anchor is first *prepared* (size and root fixed in
SQLite), then *sent* (transaction hash recorded), then *confirmed*. After a restart an
open anchor is looked up on chain by its tree size before anything is sent again, so a
transaction that was mined while the process died is recognised, not repeated.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eth_account.signers.local import LocalAccount

from govchain.chain.clients.anchor_registry import AnchorRegistryClient, namespace_id
from govchain.chain.errors import AnchorRegistryTreeNotGrowing, ChainError
from govchain.chain.types import Anchor
from govchain.platform.anchoring._levels import TreeLevels
from govchain.platform.anchoring._store import AnchorRow, AnchorState, AnchorStore
from govchain.platform.anchoring.errors import (
    AnchoringError,
    MalformedHashError,
    NamespaceNameError,
    ReceiptNotFoundError,
    UnknownNamespaceError,
)
from govchain.platform.anchoring.merkle import leaf_hash
from govchain.platform.anchoring.receipts import AnchorEvidence, AnchorReceipt, block_time_utc

__all__ = [
    "AnchorChain",
    "AnchoringService",
    "CrashPoint",
    "NamespaceStatus",
    "parse_hash",
    "receipt_id",
]

log = logging.getLogger(__name__)

_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


class CrashPoint(StrEnum):
    """Moments at which tests make the process kill itself with SIGKILL (fault injection)."""

    PREPARED = "prepared"  # anchor fixed in SQLite, nothing sent
    SENT = "sent"  # transaction sent and its hash recorded, not yet mined
    MINED = "mined"  # transaction mined, confirmation not yet recorded


def parse_hash(value: str) -> bytes:
    """A document hash from its hex form (64 digits, optionally ``0x``-prefixed)."""
    text = value.strip().lower().removeprefix("0x")
    if len(text) != 64:
        raise MalformedHashError(value, f"it has {len(text)} hex digits instead of 64")
    try:
        return bytes.fromhex(text)
    except ValueError as err:
        raise MalformedHashError(value, "it is not hexadecimal") from err


def receipt_id(namespace: str, seq: int) -> str:
    """The receipt id of entry ``seq`` of a namespace: ``<namespace>:<seq>``."""
    return f"{namespace}:{seq}"


def _split_receipt_id(value: str) -> tuple[str, int]:
    name, sep, seq = value.rpartition(":")
    if not sep or not seq.isdigit() or not _NAMESPACE.match(name):
        raise ReceiptNotFoundError(value)
    return name, int(seq)


class AnchorChain:
    """The chain side of anchoring: one account that owns the namespaces it anchors."""

    def __init__(self, registry: AnchorRegistryClient, account: LocalAccount) -> None:
        self.registry = registry
        self.account = account

    @property
    def chain_id(self) -> int:
        """The chain's id."""
        return self.registry.gateway.chain_id

    def ensure_namespace(self, name: str) -> None:
        """Register the namespace on chain unless it is there already (and ours)."""
        ns = namespace_id(name)
        if not self.registry.namespace_exists(ns):
            self.registry.register_namespace(self.account, name)
            return
        owner = self.registry.namespace(ns).owner
        if owner != self.account.address:
            raise AnchoringError(
                f"The namespace {name!r} belongs to account {owner} on chain, not to this "
                f"service's account {self.account.address}.",
                f"Der Namensraum {name!r} gehört auf der Chain dem Konto {owner}, nicht dem "
                f"Konto {self.account.address} dieses Dienstes.",
            )

    def find(self, name: str, tree_size: int) -> Anchor | None:
        """The anchor of exactly this size, if it is on chain."""
        return self.registry.find_anchor_of_size(namespace_id(name), tree_size)


@dataclass(frozen=True)
class NamespaceStatus:
    """A namespace's log and how much of it waits for anchoring."""

    namespace: str
    size: int
    anchored: int
    backlog: int
    last_anchor_block: int | None


class AnchoringService:
    """Durable acceptance, anchoring and receipts for every namespace.

    Args:
        directory: where the queue database and the tree levels live.
        chain: the chain side; None runs without a chain (hashes are still accepted).
        crash_at: test-only fault injection (see CrashPoint).
    """

    def __init__(
        self,
        directory: Path,
        chain: AnchorChain | None,
        *,
        crash_at: CrashPoint | None = None,
    ) -> None:
        self.directory = directory
        self.store = AnchorStore(directory / "anchoring.sqlite3")
        self.chain = chain
        self._crash_at = crash_at
        self._levels: dict[str, TreeLevels] = {}
        self._anchor_lock = threading.Lock()
        # The level files are appended by the worker and read by HTTP threads.
        self._levels_lock = threading.RLock()
        self.last_error: str | None = None
        for ns in self.store.namespaces():
            self._recover_levels(ns.name)

    # --- namespaces -------------------------------------------------------------------

    def add_namespace(self, name: str) -> None:
        """Register a namespace here and, when a chain is attached, on chain."""
        if not _NAMESPACE.match(name):
            raise NamespaceNameError(name)
        if self.chain is not None:
            self.chain.ensure_namespace(name)
        self.store.add_namespace(name)

    def _require(self, name: str) -> None:
        if not self.store.has_namespace(name):
            raise UnknownNamespaceError(name)

    def levels(self, name: str) -> TreeLevels:
        """The Merkle node files of a namespace."""
        if name not in self._levels:
            self._levels[name] = TreeLevels(self.directory / "trees" / name)
        return self._levels[name]

    def _recover_levels(self, name: str) -> None:
        levels = self.levels(name)
        levels.recover()
        size = self.store.size(name)
        if levels.size > size:
            levels.truncate(size)
        tail = min(levels.size, 64)
        if tail:
            stored = self.store.document_hashes(name, levels.size - tail, levels.size)
            for offset, doc in enumerate(stored):
                index = levels.size - tail + offset
                if levels.node(0, index) != leaf_hash(doc):
                    log.warning("tree of %s disagrees with its log at %d; rebuilding", name, index)
                    levels.truncate(0)
                    break

    # --- accepting ------------------------------------------------------------------

    def submit(self, namespace: str, document_hash: bytes) -> str:
        """Accept one document hash durably; returns its receipt id at once."""
        return self.submit_many(namespace, [document_hash])[0]

    def submit_many(self, namespace: str, hashes: Sequence[bytes]) -> list[str]:
        """Accept document hashes durably, in one commit; returns their receipt ids."""
        self._require(namespace)
        for h in hashes:
            if len(h) != 32:
                raise MalformedHashError(h.hex(), f"it has {len(h)} bytes instead of 32")
        if not hashes:
            return []
        first = self.store.append(namespace, hashes)
        return [receipt_id(namespace, first + i) for i in range(len(hashes))]

    def submit_file(self, namespace: str, path: Path) -> str:
        """Hash a file locally (SHA-256) and accept its hash."""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return self.submit(namespace, digest.digest())

    # --- anchoring ------------------------------------------------------------------

    def _crash(self, point: CrashPoint) -> None:
        if self._crash_at is point:
            log.warning("fault injection: killing the process at %s", point.value)
            os.kill(os.getpid(), signal.SIGKILL)

    def _extend_levels(self, name: str, size: int) -> TreeLevels:
        with self._levels_lock:
            levels = self.levels(name)
            batch = 100_000
            while levels.size < size:
                end = min(size, levels.size + batch)
                docs = self.store.document_hashes(name, levels.size, end)
                levels.append([leaf_hash(d) for d in docs])
            return levels

    def anchor(self, namespace: str) -> AnchorRow | None:
        """Anchor the namespace's backlog in one transaction (or finish an open anchor).

        Returns the confirmed anchor, or None when there was nothing to anchor.

        Raises:
            ChainError: when the chain is unreachable or refuses; nothing is lost, the
                backlog stays queued and the next call resumes.
        """
        self._require(namespace)
        if self.chain is None:
            raise AnchoringError(
                "No chain is attached to this anchoring service.",
                "An diesen Verankerungsdienst ist keine Chain angebunden.",
            )
        with self._anchor_lock:
            open_anchor = self.store.open_anchor(namespace)
            if open_anchor is None:
                size = self.store.size(namespace)
                if size <= self.store.confirmed_size(namespace):
                    return None
                with self._levels_lock:
                    levels = self._extend_levels(namespace, size)
                    levels.sync()
                    root = levels.root(size)
                open_anchor = self.store.prepare_anchor(namespace, size, root)
                self._crash(CrashPoint.PREPARED)
            return self._finish(self.chain, open_anchor)

    def _finish(self, chain: AnchorChain, row: AnchorRow) -> AnchorRow:
        name = row.namespace
        if row.state is AnchorState.SENT and row.tx_hash:
            chain.registry.gateway.mined(row.tx_hash, timeout=30)
        existing = chain.find(name, row.tree_size)
        if existing is None:
            try:
                existing, tx = chain.registry.anchor(
                    chain.account,
                    namespace_id(name),
                    row.tree_size,
                    row.root,
                    on_sent=lambda tx_hash: self._sent(name, row.tree_size, tx_hash),
                )
                tx_hash = tx.tx_hash
                self._crash(CrashPoint.MINED)
            except AnchorRegistryTreeNotGrowing:
                existing = chain.find(name, row.tree_size)
                if existing is None:
                    raise
                tx_hash = self._tx_hash_of(chain, existing, row)
        else:
            tx_hash = self._tx_hash_of(chain, existing, row)
        if existing.root != row.root:
            raise AnchoringError(
                f"The chain holds another root for {name} at size {row.tree_size}; the local "
                "log has diverged from what was anchored. Stop and investigate.",
                f"Die Chain enthält für {name} bei Größe {row.tree_size} eine andere Wurzel; "
                "das lokale Log weicht vom Verankerten ab. Anhalten und prüfen.",
            )
        self.store.confirm(
            name,
            row.tree_size,
            tx_hash=tx_hash,
            block_number=existing.block_number,
            block_time=existing.timestamp,
            anchor_index=existing.index,
        )
        log.info("anchored %s at size %d in block %d", name, row.tree_size, existing.block_number)
        confirmed = self.store.anchors(name)
        return next(a for a in confirmed if a.tree_size == row.tree_size)

    def _sent(self, name: str, tree_size: int, tx_hash: str) -> None:
        self.store.mark_sent(name, tree_size, tx_hash)
        self._crash(CrashPoint.SENT)

    def _tx_hash_of(self, chain: AnchorChain, anchor: Anchor, row: AnchorRow) -> str:
        mined = chain.registry.gateway.mined(row.tx_hash) if row.tx_hash else None
        if row.tx_hash and mined is not None and mined.block_number == anchor.block_number:
            return row.tx_hash
        found = chain.registry.anchored_transaction(anchor)
        if found is None:
            raise AnchoringError(
                f"Anchor {anchor.index} of {row.namespace} is on chain but its transaction "
                "was not found in its block.",
                f"Anker {anchor.index} von {row.namespace} steht auf der Chain, aber seine "
                "Transaktion fehlt in seinem Block.",
            )
        return found

    def anchor_all(self) -> list[AnchorRow]:
        """Anchor every namespace with a backlog; chain errors are remembered, not raised."""
        done = []
        for ns in self.store.namespaces():
            try:
                result = self.anchor(ns.name)
            except ChainError as err:
                self.last_error = err.message
                log.warning("anchoring %s failed, will retry: %s", ns.name, err.message)
                continue
            self.last_error = None
            if result is not None:
                done.append(result)
        return done

    # --- reading --------------------------------------------------------------------

    def status(self) -> list[NamespaceStatus]:
        """Every namespace's size, anchored size and backlog."""
        result = []
        for ns in self.store.namespaces():
            anchors = [a for a in self.store.anchors(ns.name) if a.state is AnchorState.CONFIRMED]
            anchored = anchors[-1].tree_size if anchors else 0
            result.append(
                NamespaceStatus(
                    namespace=ns.name,
                    size=ns.size,
                    anchored=anchored,
                    backlog=ns.size - anchored,
                    last_anchor_block=anchors[-1].block_number if anchors else None,
                )
            )
        return result

    def receipt(self, rid: str) -> AnchorReceipt | None:
        """The full receipt, or None while the hash waits for its anchor."""
        name, seq = _split_receipt_id(rid)
        if not self.store.has_namespace(name):
            raise ReceiptNotFoundError(rid)
        document = self.store.document_hash(name, seq)
        if document is None:
            raise ReceiptNotFoundError(rid)
        anchor = self.store.covering_anchor(name, seq)
        if (
            anchor is None
            or self.chain is None
            or anchor.tx_hash is None
            or anchor.block_number is None
            or anchor.block_time is None
            or anchor.anchor_index is None
        ):
            return None
        with self._levels_lock:
            levels = self._extend_levels(name, anchor.tree_size)
            path = levels.inclusion_proof(seq, anchor.tree_size)
        return AnchorReceipt(
            receipt_id=rid,
            namespace=name,
            document_hash=document.hex(),
            leaf_hash=leaf_hash(document).hex(),
            leaf_index=seq,
            tree_size=anchor.tree_size,
            audit_path=[p.hex() for p in path],
            root=anchor.root.hex(),
            anchor=AnchorEvidence(
                chain_id=self.chain.chain_id,
                contract=self.chain.registry.address,
                namespace_id="0x" + namespace_id(name).hex(),
                anchor_index=anchor.anchor_index,
                transaction_hash=anchor.tx_hash,
                block_number=anchor.block_number,
                block_time=anchor.block_time,
                block_time_utc=block_time_utc(anchor.block_time),
            ),
        )

    def attach(self, chain: AnchorChain) -> None:
        """Attach the chain once it is reachable; queued hashes are anchored from then on."""
        self.chain = chain

    def close(self) -> None:
        """Release files and the database."""
        for levels in self._levels.values():
            levels.close()
        self.store.close()
