"""The three ACA-Py agents as child processes: start, readiness, refusal, shutdown."""

from __future__ import annotations

import socket
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from govchain.agents import (
    AgentFleet,
    AgentPortBusyError,
    AgentProcess,
    AgentRole,
    AgentsNotInstalledError,
    AgentStartError,
    WebhookReceiver,
)
from tests.agents.conftest import Client, agent_settings, needs_acapy, run
from tests.conftest import free_port


@needs_acapy
def test_three_agents_start_and_report_ready(fleet: AgentFleet, client: Client) -> None:
    async def body() -> None:
        for role in AgentRole:
            async with client(role) as agent:
                assert await agent.ready()
                status = await agent.status()
                assert status.label == f"govchain-{role.value}"
                assert status.version.startswith("1.7")

    run(body())
    for role in AgentRole:
        assert fleet[role].is_running()
        # askar keeps each agent's wallet in SQLite under the data directory
        wallet = fleet.settings.agents_dir / role.value / "wallet" / f"govchain-{role.value}"
        assert (wallet / "sqlite.db").is_file()


@needs_acapy
def test_admin_keys_stay_out_of_logs_and_command_line(fleet: AgentFleet) -> None:
    for role in AgentRole:
        agent = fleet[role]
        key = fleet.settings.admin_api_key(role).get_secret_value()
        assert key not in agent.log_path.read_text(errors="replace")
        cmdline = Path(f"/proc/{agent.pid}/cmdline").read_bytes().decode(errors="replace")
        assert key not in cmdline
        assert fleet.webhooks.key not in cmdline


def test_busy_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = int(squatter.getsockname()[1])
        settings = agent_settings(tmp_path, agents_holder_admin_port=busy)
        fleet = AgentFleet(settings)
        with pytest.raises(AgentPortBusyError, match=f"Port {busy} .* holder agent") as info:
            fleet.start()
    assert info.value.port == busy
    assert "bereits belegt" in info.value.message_de
    assert not any(agent.is_running() for agent in fleet.agents.values())
    assert not (tmp_path / "agents" / "logs").exists()  # nothing was launched


def _fake_acapy(tmp_path: Path, script: str) -> Path:
    exe = tmp_path / "aca-py"
    exe.write_text(f"#!/bin/sh\n{script}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_agent_that_exits_at_start_shows_one_sentence_and_its_log_tail(tmp_path: Path) -> None:
    exe = _fake_acapy(tmp_path, "echo 'askar: cannot open store' >&2; exit 3")
    settings = agent_settings(tmp_path, agents_executable=exe)
    fleet = AgentFleet(settings)
    with pytest.raises(AgentStartError) as info:
        fleet.start()
    message = str(info.value)
    assert message.startswith("The issuer agent exited during start-up (code 3)")
    assert "askar: cannot open store" in message
    assert "beim Start beendet" in info.value.message_de
    assert not any(agent.is_running() for agent in fleet.agents.values())


def test_agent_that_never_gets_ready_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    exe = _fake_acapy(tmp_path, "echo 'waiting for a ledger'; exec sleep 60")
    settings = agent_settings(tmp_path, agents_executable=exe)
    agent = AgentProcess(AgentRole.VERIFIER, settings, "http://127.0.0.1:9/agents/verifier")
    with pytest.raises(AgentStartError, match=r"not ready on .* within 1 s") as info:
        agent.start(timeout=1)
    assert "waiting for a ledger" in str(info.value)
    assert not agent.is_running()


def test_missing_acapy_says_how_to_install_it(tmp_path: Path) -> None:
    settings = agent_settings(tmp_path, agents_executable=tmp_path / "nowhere" / "aca-py")
    with pytest.raises(AgentsNotInstalledError, match=r"bootstrap-agents\.sh"):
        AgentFleet(settings).start()


def test_webhook_receiver_refuses_posts_without_its_key() -> None:
    port = free_port()
    receiver = WebhookReceiver("127.0.0.1", port)
    receiver.start()
    try:
        url = f"http://127.0.0.1:{port}/agents/issuer/topic/connections/"
        forged = urllib.request.Request(url, data=b'{"state": "active"}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(forged, timeout=5)
        assert info.value.code == 401
        genuine = urllib.request.Request(
            url, data=b'{"state": "active"}', method="POST", headers={"x-api-key": receiver.key}
        )
        with urllib.request.urlopen(genuine, timeout=5) as response:
            assert response.status == 200
        event = receiver.wait_for(lambda e: e.topic == "connections", timeout=5)
        assert (event.agent, event.payload) == ("issuer", {"state": "active"})
        assert len(receiver.events) == 1
    finally:
        receiver.stop()
