"""`govchain agents up` over real processes: URLs printed, SIGINT stops everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from govchain.agents import AgentRole
from govchain.cli import app
from tests.agents.conftest import agent_settings, needs_acapy


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_agents_help_is_german_first() -> None:
    result = CliRunner().invoke(app, ["agents", "--help"])
    assert result.exit_code == 0 and "Die ACA-Py-Agenten" in result.stdout
    result = CliRunner().invoke(app, ["agents", "up", "--help"])
    assert result.exit_code == 0 and "Startet die drei Agenten bis Strg-C" in result.stdout


@needs_acapy
def test_agents_up_prints_the_urls_and_sigint_stops_everything(tmp_path: Path) -> None:
    settings = agent_settings(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVCHAIN_")}
    for name in type(settings).model_fields:
        if name.startswith("agents_") and name not in {"agents_executable"}:
            value = getattr(settings, name)
            if isinstance(value, tuple):  # list settings are JSON in the environment
                env[f"GOVCHAIN_{name.upper()}"] = json.dumps(
                    [item.get_secret_value() for item in value]
                )
                continue
            secret = getattr(value, "get_secret_value", None)
            if value is not None:
                env[f"GOVCHAIN_{name.upper()}"] = str(secret() if secret else value)
    env["GOVCHAIN_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "govchain.cli", "agents", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 90
        while not any("Beenden mit Strg-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            lines.append(line)
            assert time.monotonic() < deadline, lines
        out = "".join(lines)
        for role in AgentRole:
            assert f"Admin {settings.admin_url(role)}" in out, out
            assert f"DIDComm http://127.0.0.1:{settings.inbound_port(role)}" in out
        assert (
            f"Kontexte und Statuslisten: http://127.0.0.1:{settings.agents_contexts_port}/" in out
        )
        children = _children(proc.pid)
        assert len(children) >= 3
        request = urllib.request.Request(
            f"{settings.admin_url(AgentRole.HOLDER)}/status/ready",
            headers={"X-API-KEY": settings.agents_holder_admin_api_key.get_secret_value()},
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.status == 200

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        rest = proc.stdout.read()
        assert "Agenten gestoppt" in rest
        assert not [pid for pid in children if _alive(pid)]  # no orphans
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
