"""Shared fixtures: real chains (embedded py-evm and a Ganache child process), and a
real PostgreSQL server (``postgres``, ``postgres_url``: ``tests/_postgres.py``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.chain.backends import ChainBackend, EmbeddedBackend, GanacheBackend
from govchain.chain.deployment import Deployment, Founder, deploy_consortium
from govchain.chain.ganache import GanacheProcess
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import Role

pytest_plugins = ["tests._postgres"]  # the PostgreSQL fixtures


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ganache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GanacheProcess]:
    """One in-memory Ganache node for the whole session."""
    node = GanacheProcess(
        port=free_port(), log_path=tmp_path_factory.mktemp("ganache") / "ganache.log"
    )
    node.start()
    yield node
    node.stop()


@pytest.fixture(params=["embedded", pytest.param("ganache", marks=pytest.mark.ganache)])
def backend(request: pytest.FixtureRequest) -> ChainBackend:
    """Each behaviour test runs on both the embedded chain and Ganache."""
    if request.param == "embedded":
        return EmbeddedBackend()
    node: GanacheProcess = request.getfixturevalue("ganache")
    return GanacheBackend(node.url, timeout=10)


@pytest.fixture
def gateway(backend: ChainBackend) -> ChainGateway:
    return ChainGateway(backend)


@dataclass
class World:
    """A freshly deployed consortium with funded actors."""

    gateway: ChainGateway
    d: Deployment
    aachen: LocalAccount
    gelsenkirchen: LocalAccount
    soest: LocalAccount
    office_admin: LocalAccount
    other_office: LocalAccount
    anchorer: LocalAccount
    outsider: LocalAccount

    @property
    def cities(self) -> list[LocalAccount]:
        return [self.aachen, self.gelsenkirchen, self.soest]

    def grant(self, role: Role, account: LocalAccount) -> None:
        registry = {
            Role.TRUST_ADMIN: self.d.trust,
            Role.STATUS_ISSUER: self.d.status,
            Role.ANCHORER: self.d.anchors,
        }[role]
        self.d.consortium.decide(
            self.aachen, self.cities[1:], registry.grant_role_call(role, account.address)
        )


def advance_time(gateway: ChainGateway, seconds: int) -> None:
    """Move the chain's clock forward and mine a block, on either test chain."""
    provider = gateway.w3.provider
    tester = getattr(provider, "ethereum_tester", None)
    if tester is not None:
        tester.time_travel(gateway.block_timestamp() + seconds)
        return
    provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _funded(gateway: ChainGateway) -> LocalAccount:
    account: LocalAccount = Account.create()
    gateway.fund(account.address, 10**20)
    return account


@pytest.fixture
def world(gateway: ChainGateway) -> World:
    actors = [_funded(gateway) for _ in range(8)]
    deployer, aachen, gelsenkirchen, soest, office_admin, other_office, anchorer, outsider = actors
    d = deploy_consortium(
        gateway,
        deployer,
        [
            Founder(name="Aachen", address=aachen.address),
            Founder(name="Gelsenkirchen", address=gelsenkirchen.address),
            Founder(name="Soest", address=soest.address),
        ],
        2,
    )
    return World(
        gateway, d, aachen, gelsenkirchen, soest, office_admin, other_office, anchorer, outsider
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty govchain data directory, set through the environment."""
    path = tmp_path / "data"
    monkeypatch.setenv("GOVCHAIN_DATA_DIR", str(path))
    return path
