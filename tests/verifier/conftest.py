"""One Ganache chain with an accredited office, and the verifier app serving over real
HTTP (uvicorn on loopback), reading status and trust from that chain through its
deployment record, as in production."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from govchain.chain.backends import GanacheBackend
from govchain.chain.deployment import DeploymentStore
from govchain.chain.ganache import GanacheProcess
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import CredentialStatus
from govchain.credentials import IssuedCredential
from govchain.credentials.types import CredentialClaims
from govchain.settings import ChainBackendKind
from govchain.verifier import VerifierClient, create_app
from govchain.verifier.settings import OidcClient, VerifierSettings
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld, build_cred_world


@pytest.fixture(scope="session")
def vw(ganache: GanacheProcess) -> CredWorld:
    """A consortium on Ganache with an office accredited for all four types."""
    return build_cred_world(ChainGateway(GanacheBackend(ganache.url, timeout=10)))


ARCHIVE_SECRET = "stadtarchiv-test-secret-2f9c1d7e4b8a6053"
"""The Stadtarchiv's client secret (confidential client); the settings hold its SHA-256."""

OIDC_CLIENTS = (
    OidcClient(
        client_id="stadtarchiv",
        name_de="Digitales Stadtarchiv",
        redirect_uris=("http://127.0.0.1:9/stadtarchiv/callback",),
        client_secret_sha256=hashlib.sha256(ARCHIVE_SECRET.encode()).hexdigest(),
        min_level="substanziell",
    ),
    OidcClient(
        client_id="kita-kompass",
        name_de="Kita-Kompass",
        redirect_uris=("http://127.0.0.1:9/kita/callback",),
        min_level="basisregistrierung",
    ),
)
"""Two services: a confidential client (secret + PKCE) and a public one (PKCE only)."""


@pytest.fixture(scope="session")
def verifier_settings(vw: CredWorld, tmp_path_factory: pytest.TempPathFactory) -> VerifierSettings:
    data: Path = tmp_path_factory.mktemp("verifier") / "data"
    DeploymentStore(data / "chain").save(vw.world.d.record)
    return VerifierSettings(
        data_dir=data,
        chain_backend=ChainBackendKind.GANACHE,
        rpc_url=vw.gateway.url,
        verifier_port=free_port(),
        verifier_status_max_age_seconds=0,
        verifier_oidc_clients=OIDC_CLIENTS,
    )


@dataclass
class Running:
    url: str
    http: httpx.Client
    client: VerifierClient


@pytest.fixture(scope="session")
def server(vw: CredWorld, verifier_settings: VerifierSettings) -> Iterator[Running]:
    """The verifier app on loopback; its clock is the chain's, like the issuer's."""
    app = create_app(verifier_settings, clock=vw.now)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=verifier_settings.verifier_port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the verifier did not start"
        time.sleep(0.05)
    url = verifier_settings.base_url
    with httpx.Client(base_url=url, timeout=30) as http, VerifierClient(url) as client:
        yield Running(url, http, client)
    server.should_exit = True
    thread.join(timeout=30)


def issue(vw: CredWorld, record: CredentialClaims) -> IssuedCredential:
    """A credential for the world's holder."""
    return vw.issuer.issue(record, holder=vw.holder.public_key)


def set_status(vw: CredWorld, credential: IssuedCredential, value: CredentialStatus) -> None:
    assert credential.status is not None
    vw.world.d.status.set_status(vw.world.office_admin, vw.list_id, credential.status.index, value)
