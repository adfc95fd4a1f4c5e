"""Building the verifier service from settings: its key from the encrypted key store,
status and trust from the deployment on the verifier's own node, requests on SQLite,
and the verifier agent's admin client when DIDComm checks are set up."""

from __future__ import annotations

import time
from collections.abc import Callable

from govchain.agents.admin import AgentAdminClient
from govchain.chain.backends import create_backend
from govchain.chain.deployment import Deployment, DeploymentStore
from govchain.chain.gateway import ChainGateway
from govchain.credentials import (
    ChainStatusSource,
    ChainTrustSource,
    EncryptedFileKeyStore,
    SigningKey,
    StatusSource,
    TrustSource,
)
from govchain.verifier._oidc_store import LoginStore
from govchain.verifier._store import RequestStore
from govchain.verifier.oidc import OidcProvider
from govchain.verifier.service import VerifierService
from govchain.verifier.settings import VerifierSettings

__all__ = ["chain_sources", "open_agent", "open_provider", "open_service", "verifier_key"]


def verifier_key(settings: VerifierSettings) -> SigningKey:
    """The verifier's request-signing key, created on first use, encrypted on disk
    (scrypt + AES-256-GCM under ``GOVCHAIN_KEYSTORE_PASSPHRASE``)."""
    store = EncryptedFileKeyStore(
        settings.verifier_dir / "keys", settings.keystore_passphrase.get_secret_value()
    )
    if settings.verifier_key_id not in store.key_ids():
        store.generate(settings.verifier_key_id)
    return store.load(settings.verifier_key_id)


def chain_sources(settings: VerifierSettings) -> tuple[StatusSource, TrustSource]:
    """Status and trust read from the recorded deployment on the configured node.

    Raises:
        ChainError: node unreachable, record missing, or contracts not on that chain.
    """
    gateway = ChainGateway(
        create_backend(settings), receipt_timeout=settings.receipt_timeout_seconds
    )
    deployment = Deployment.attach(gateway, DeploymentStore(settings.chain_dir).load())
    max_age = settings.verifier_status_max_age_seconds
    return (
        ChainStatusSource(deployment.status, max_age=max_age),
        ChainTrustSource(deployment.trust, max_age=max_age),
    )


def open_service(
    settings: VerifierSettings,
    *,
    sources: tuple[StatusSource, TrustSource] | None = None,
    clock: Callable[[], float] = time.time,
) -> VerifierService:
    """The service on the data directory; ``sources`` default to the chain's."""
    status, trust = sources if sources is not None else chain_sources(settings)
    return VerifierService(
        store=RequestStore(settings.verifier_dir / "verifier.sqlite3"),
        key=verifier_key(settings),
        base_url=settings.base_url,
        status=status,
        trust=trust,
        clock=clock,
        ttl=settings.verifier_request_ttl_seconds,
        snapshot_path=settings.snapshot_path if settings.verifier_offline_fallback else None,
        snapshot_max_age=settings.verifier_offline_max_age_seconds,
    )


def open_provider(
    settings: VerifierSettings,
    verifier: VerifierService,
    *,
    clock: Callable[[], float] = time.time,
) -> OidcProvider:
    """The "Login mit BürgerID" provider over ``verifier``; logins on SQLite."""
    return OidcProvider(
        verifier=verifier,
        store=LoginStore(settings.verifier_dir / "oidc.sqlite3"),
        clients=settings.verifier_oidc_clients,
        pairwise_secret=settings.verifier_oidc_pairwise_secret.get_secret_value().encode(),
        code_ttl=settings.verifier_oidc_code_ttl_seconds,
        token_ttl=settings.verifier_oidc_token_ttl_seconds,
        clock=clock,
    )


def open_agent(settings: VerifierSettings) -> AgentAdminClient | None:
    """The verifier agent's admin client (DIDComm checks), or None when none is set up."""
    if settings.verifier_agent_admin_url is None or settings.verifier_agent_admin_api_key is None:
        return None
    return AgentAdminClient(
        settings.verifier_agent_admin_url,
        settings.verifier_agent_admin_api_key,
        timeout=settings.verifier_agent_timeout_seconds,
        name="verifier",
    )
