"""Typed client of the AnchorRegistry: namespaces and anchored Merkle roots."""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from govchain.chain.clients._base import GovernedClient
from govchain.chain.errors import AnchorRegistryUnknownNamespace, AnchorRegistryUnknownSize
from govchain.chain.gateway import TxResult
from govchain.chain.types import Anchor, Namespace

__all__ = ["AnchorRegistryClient", "namespace_id"]


def namespace_id(name: str) -> bytes:
    """The on-chain id of a namespace name (keccak256)."""
    return keccak(text=name)


class AnchorRegistryClient(GovernedClient):
    """Append-only anchors of the services' Merkle logs."""

    contract_name = "AnchorRegistry"

    def register_namespace(self, anchorer: LocalAccount, name: str) -> tuple[bytes, TxResult]:
        """Register a namespace owned by `anchorer` (ANCHORER_ROLE)."""
        tx = self._transact(
            anchorer, "registerNamespace", name, description=f"Registering namespace {name}"
        )
        return namespace_id(name), tx

    def anchor(
        self,
        owner: LocalAccount,
        namespace: bytes,
        tree_size: int,
        root: bytes,
        on_sent: Callable[[str], None] | None = None,
    ) -> tuple[Anchor, TxResult]:
        """Anchor the log's root at `tree_size` leaves (namespace owner only).

        `on_sent` gets the transaction hash before the transaction is mined.
        """
        tx = self.gateway.transact(
            owner,
            self.contract_name,
            self.address,
            "anchor",
            namespace,
            tree_size,
            root,
            description=f"Anchoring a root of {tree_size} leaves",
            on_sent=on_sent,
        )
        index = int(tx.events_named("Anchored")[0].args["index"])
        return self.anchor_at(namespace, index), tx

    def find_anchor_of_size(self, namespace: bytes, tree_size: int) -> Anchor | None:
        """The anchor of exactly `tree_size` leaves, or None if there is none."""
        try:
            return self.anchor_of_size(namespace, tree_size)
        except AnchorRegistryUnknownSize:
            return None

    def anchored_transaction(self, anchor: Anchor) -> str | None:
        """The hash of the transaction that wrote `anchor` (looked up in its block)."""
        for tx_hash, args in self.gateway.event_logs(
            self.contract_name,
            self.address,
            "Anchored",
            anchor.block_number,
            {"namespaceId": anchor.namespace_id},
        ):
            if args["index"] == anchor.index and args["treeSize"] == anchor.tree_size:
                return tx_hash
        return None

    def namespace_exists(self, namespace: bytes) -> bool:
        """Whether the namespace is registered on chain."""
        try:
            self.namespace(namespace)
        except AnchorRegistryUnknownNamespace:
            return False
        return True

    def namespace(self, namespace: bytes) -> Namespace:
        """A namespace by id."""
        name, owner, created_at = self._call("namespace", namespace)
        return Namespace(namespace_id=namespace, name=name, owner=owner, created_at=created_at)

    def anchor_count(self, namespace: bytes) -> int:
        """How many anchors a namespace has."""
        return int(self._call("anchorCount", namespace))

    def anchor_at(self, namespace: bytes, index: int) -> Anchor:
        """The anchor at position `index`."""
        return self._anchor(namespace, index, self._call("anchorAt", namespace, index))

    def anchor_of_size(self, namespace: bytes, tree_size: int) -> Anchor:
        """The anchor of the log at exactly `tree_size` leaves."""
        index, raw = self._call("anchorOfSize", namespace, tree_size)
        return self._anchor(namespace, int(index), raw)

    def latest_anchor(self, namespace: bytes) -> Anchor:
        """The newest anchor."""
        raw = self._call("latestAnchor", namespace)
        return self._anchor(namespace, self.anchor_count(namespace) - 1, raw)

    @staticmethod
    def _anchor(namespace: bytes, index: int, raw: tuple[int, int, int, bytes]) -> Anchor:
        tree_size, block_number, timestamp, root = raw
        return Anchor(
            namespace_id=namespace,
            index=index,
            tree_size=tree_size,
            root=bytes(root),
            block_number=block_number,
            timestamp=timestamp,
        )
