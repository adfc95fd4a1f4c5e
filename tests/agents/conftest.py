"""Real ACA-Py agents for the agents tests (installed by scripts/bootstrap-agents.sh)."""

from __future__ import annotations

import asyncio
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


def agent_settings(data_dir: Path, **overrides: Any) -> AgentSettings:
    """Fresh loopback ports and random secrets under ``data_dir`` (plus ``overrides``)."""
    return AgentSettings.ephemeral(data_dir, **overrides)


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
