"""Real ACA-Py agents for the agents tests (installed by scripts/bootstrap-agents.sh)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govchain.agents import AgentAdminClient, AgentFleet, AgentRole, AgentSettings
from govchain.agents.settings import default_acapy_executable
from govchain.chain.backends import EmbeddedBackend
from govchain.chain.gateway import ChainGateway
from tests.credentials.conftest import CredWorld, build_cred_world

ACAPY = default_acapy_executable()

needs_acapy = pytest.mark.skipif(
    not ACAPY.is_file(),
    reason=f"ACA-Py is not installed ({ACAPY} missing); run scripts/bootstrap-agents.sh",
)


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports on loopback that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def agent_settings(data_dir: Path, **overrides: Any) -> AgentSettings:
    """Settings with fresh loopback ports and the data directory under `data_dir`."""
    ports = free_ports(8)
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "agents_issuer_admin_port": ports[0],
        "agents_issuer_inbound_port": ports[1],
        "agents_holder_admin_port": ports[2],
        "agents_holder_inbound_port": ports[3],
        "agents_verifier_admin_port": ports[4],
        "agents_verifier_inbound_port": ports[5],
        "agents_webhook_port": ports[6],
        "agents_contexts_port": ports[7],
        "agents_issuer_admin_api_key": "issuer-test-key",
        "agents_holder_admin_api_key": "holder-test-key",
        "agents_verifier_admin_api_key": "verifier-test-key",
        "agents_wallet_key": "wallet-test-key",
        "agents_holder_jwt_secret": "holder-test-jwt-secret",
    }
    values.update(overrides)
    return AgentSettings(**values)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentFleet]:
    """The three agents, started once per test session (per xdist worker)."""
    if not ACAPY.is_file():
        pytest.skip(f"ACA-Py is not installed ({ACAPY} missing); run scripts/bootstrap-agents.sh")
    agents = AgentFleet(agent_settings(tmp_path_factory.mktemp("agents")))
    agents.start()
    yield agents
    agents.stop()


Client = Callable[[AgentRole], AgentAdminClient]


@pytest.fixture
def client(fleet: AgentFleet) -> Client:
    """A factory for admin clients of the fleet's agents."""

    def make(role: AgentRole) -> AgentAdminClient:
        return fleet.client(role)

    return make


def run[T](coro: Awaitable[T]) -> T:
    """Run one async test body (the suite has no async plugin)."""

    async def main() -> T:
        return await coro

    return asyncio.run(main())


@pytest.fixture(scope="module")
def chain() -> CredWorld:
    """A consortium with an accredited office and a status list on the embedded chain."""
    return build_cred_world(ChainGateway(EmbeddedBackend()))
