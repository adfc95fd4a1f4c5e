"""Building the anchoring service from settings: the queue on disk, the chain from the
deployment record, the service account from the keystore."""

from __future__ import annotations

from pathlib import Path

from govchain.chain.accounts import AccountStore
from govchain.chain.backends import create_backend
from govchain.chain.deployment import Deployment, DeploymentStore
from govchain.chain.gateway import ChainGateway
from govchain.platform.anchoring.service import AnchorChain, AnchoringService
from govchain.platform.settings import PlatformSettings

_LOW_BALANCE = 10**18
_DEV_FUNDING = 10**20


def connect_chain(settings: PlatformSettings) -> AnchorChain:
    """The chain side, from the deployment record and the service's keystore account.

    Raises:
        ChainError: when the node is unreachable, the record is missing, or the chain
            does not hold the recorded contracts.
    """
    gateway = ChainGateway(
        create_backend(settings), receipt_timeout=settings.receipt_timeout_seconds
    )
    deployment = Deployment.attach(gateway, DeploymentStore(settings.chain_dir).load())
    keys = AccountStore(
        settings.chain_dir / "keys", settings.keystore_passphrase.get_secret_value()
    )
    account = keys.get_or_create(settings.anchoring_account)
    if gateway.backend.can_fund and gateway.balance(account.address) < _LOW_BALANCE:
        gateway.fund(account.address, _DEV_FUNDING)  # development chains only
    return AnchorChain(deployment.anchors, account)


def open_service(settings: PlatformSettings, chain: AnchorChain | None) -> AnchoringService:
    """The anchoring service on the data directory, with or without a chain."""
    return AnchoringService(
        Path(settings.anchoring_dir), chain, crash_at=settings.anchoring_crash_at
    )
