"""The wallet against the real issuer and verifier apps over HTTP (uvicorn on
loopback): an offline issuer for the chain-free tests, and on Ganache an issuer whose
DID is registered and accredited in the TrustRegistry plus the verifier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govchain.chain.types import LevelOfAssurance
from govchain.citizen_wallet import CitizenWallet
from govchain.credentials import DangerousDogPermit
from govchain.issuer import create_app, issuer_identity
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Clock, Issuing, Server, issuer_settings, offline
from tests.verifier.conftest import server, verifier_settings, vw

__all__ = ["offline", "server", "verifier_settings", "vw"]

PIN = "482915"
FAST_SCRYPT = 2**14


def new_wallet(directory: Path, **options: object) -> CitizenWallet:
    """A wallet with cheap scrypt (tests only)."""
    return CitizenWallet(directory, scrypt_n=FAST_SCRYPT, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def chain_issuer(vw: CredWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuing]:
    """The issuer app of a second office on the verifier's chain: its DID registered,
    accredited for dog permits, issuing into the world's status list."""
    data = tmp_path_factory.mktemp("wallet-issuer") / "data"
    identity = issuer_identity(issuer_settings(data))
    office, _ = vw.new_office({DangerousDogPermit.vct: LevelOfAssurance.HIGH}, register_did=False)
    vw.world.d.trust.register_did(vw.world.office_admin, office, identity.did, identity.thumbprint)
    settings = issuer_settings(data, issuer_status_list_uri=vw.status.list_uri(vw.list_id))
    clock = Clock(vw.gateway.block_timestamp)
    app = create_app(settings, clock=clock)
    with Server(app, settings.issuer_port) as client:
        yield Issuing(client, settings, clock, app)
