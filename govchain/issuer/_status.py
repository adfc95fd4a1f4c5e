"""Writing a credential's status entry on chain (suspend, reinstate, revoke).

The issuer's status list is owned by one chain account (the office's list owner); this
module is the only place in the issuer that sends a transaction. ``ChainStatusWriter``
waits for the receipt, so once ``write`` returns the change is in a mined block.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from eth_account.signers.local import LocalAccount

from govchain.chain.accounts import AccountStore
from govchain.chain.backends import create_backend
from govchain.chain.clients.status_registry import StatusRegistryClient
from govchain.chain.deployment import Deployment, DeploymentStore
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import CredentialStatus
from govchain.credentials.status import StatusListUri
from govchain.issuer.settings import IssuerSettings

__all__ = ["ChainStatusWriter", "StatusWriter", "connect_status_writer"]


class StatusWriter(ABC):
    """Sets one entry of the issuer's status list."""

    @abstractmethod
    def write(self, list_uri: str, index: int, status: CredentialStatus) -> tuple[str, int]:
        """Set the entry; returns the transaction hash and block number once mined.

        Raises:
            GovchainError: the chain refused or could not be reached.
        """


class ChainStatusWriter(StatusWriter):
    """Writes through the StatusRegistry client with the list owner's account."""

    def __init__(self, registry: StatusRegistryClient, owner: LocalAccount) -> None:
        self.registry = registry
        self.owner = owner

    def write(self, list_uri: str, index: int, status: CredentialStatus) -> tuple[str, int]:
        """Send ``setStatus`` and wait for the receipt (one block)."""
        list_id = StatusListUri.parse(list_uri).list_id
        tx = self.registry.set_status(self.owner, list_id, index, status)
        return tx.tx_hash, tx.block_number


def connect_status_writer(settings: IssuerSettings) -> ChainStatusWriter | None:
    """The writer from the deployment record and the keystore account
    ``GOVCHAIN_ISSUER_STATUS_ACCOUNT``; None when no account is configured."""
    if settings.issuer_status_account is None:
        return None
    gateway = ChainGateway(
        create_backend(settings), receipt_timeout=settings.receipt_timeout_seconds
    )
    deployment = Deployment.attach(gateway, DeploymentStore(settings.chain_dir).load())
    keys = AccountStore(
        settings.chain_dir / "keys", settings.keystore_passphrase.get_secret_value()
    )
    return ChainStatusWriter(deployment.status, keys.load(settings.issuer_status_account))
