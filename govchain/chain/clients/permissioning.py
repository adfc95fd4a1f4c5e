"""Typed clients of AccountRules and NodeRules, Besu's permissioning interfaces."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress

from govchain.chain.clients._base import GovernedClient
from govchain.chain.gateway import EncodedCall

__all__ = ["AccountRulesClient", "NodeEntry", "NodeRulesClient"]


@dataclass(frozen=True)
class NodeEntry:
    """A node on the consortium's allowlist."""

    enode_id: str
    host: str
    port: int
    city: str


class AccountRulesClient(GovernedClient):
    """Which accounts may send transactions."""

    contract_name = "AccountRules"

    def allow_call(self, account: ChecksumAddress, label: str) -> EncodedCall:
        """The call that allows an account (to be proposed)."""
        return self._encode("allowAccount", account, label, description=f"Allow account {label}")

    def disallow_call(self, account: ChecksumAddress) -> EncodedCall:
        """The call that disallows an account (to be proposed)."""
        return self._encode("disallowAccount", account, description=f"Disallow account {account}")

    def allowed_accounts(self) -> list[ChecksumAddress]:
        """The allowlist."""
        return list(self._call("allowedAccounts"))

    def transaction_allowed(self, sender: ChecksumAddress) -> bool:
        """Besu's question: may `sender` transact?"""
        zero = "0x" + "00" * 20
        return bool(self._call("transactionAllowed", sender, zero, 0, 0, 0, b""))


class NodeRulesClient(GovernedClient):
    """Which nodes may connect."""

    contract_name = "NodeRules"

    def allow_call(self, node: NodeEntry) -> EncodedCall:
        """The call that admits a node (to be proposed)."""
        return self._encode(
            "allowNode",
            node.enode_id,
            node.host,
            node.port,
            node.city,
            description=f"Allow node of {node.city} at {node.host}:{node.port}",
        )

    def disallow_call(self, enode_id: str) -> EncodedCall:
        """The call that removes a node (to be proposed)."""
        return self._encode("disallowNode", enode_id, description=f"Disallow node {enode_id[:12]}…")

    def allowed_nodes(self) -> list[NodeEntry]:
        """The allowlist."""
        return [NodeEntry(n[0], n[1], n[2], n[3]) for n in self._call("allowedNodes")]

    def connection_allowed(self, enode_id: str, host: str, port: int) -> bool:
        """Besu's question (v2): may this node connect?"""
        return bool(self._call("connectionAllowed", enode_id, host, port))
