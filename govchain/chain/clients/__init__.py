"""Typed clients, one per contract; they return domain objects, never raw tuples."""

from govchain.chain.clients.anchor_registry import AnchorRegistryClient, namespace_id
from govchain.chain.clients.consortium import ConsortiumClient, Decision
from govchain.chain.clients.permissioning import AccountRulesClient, NodeEntry, NodeRulesClient
from govchain.chain.clients.status_registry import StatusRegistryClient
from govchain.chain.clients.trust_registry import TrustRegistryClient

__all__ = [
    "AccountRulesClient",
    "AnchorRegistryClient",
    "ConsortiumClient",
    "Decision",
    "NodeEntry",
    "NodeRulesClient",
    "StatusRegistryClient",
    "TrustRegistryClient",
    "namespace_id",
]
