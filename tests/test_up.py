"""``govchain up``: the region as child processes of one supervisor, started in order,
watched, and stopped in reverse order; failures name the part and show its log."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from govchain.agents import AgentRole, AgentSettings
from govchain.agents.settings import default_acapy_executable
from govchain.errors import SettingsError
from govchain.settings import ChainBackendKind, GovchainSettings
from govchain.up import Part, PartFailedError, PartPortBusyError, Region, chain_parts, service_parts
from govchain.verifier.settings import VerifierSettings
from tests.conftest import free_port

pytestmark = pytest.mark.ganache

SERVICES = ("issuer", "verifier", "wallet", "platform")


def _children(pid: int) -> set[int]:
    """The whole tree below ``pid`` (from /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = Path(f"/proc/{current}/task").iterdir()
            kids = {
                int(k) for t in tasks for k in (t / "children").read_text().split() if k.strip()
            }
        except OSError:
            continue
        found |= kids
        todo.extend(kids)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _env(data_dir: Path) -> tuple[dict[str, str], dict[str, int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVCHAIN_")}
    ports = {name: free_port() for name in ("ganache", *SERVICES)}
    env["GOVCHAIN_DATA_DIR"] = str(data_dir)
    for name, port in ports.items():
        env[f"GOVCHAIN_{name.upper()}_PORT"] = str(port)
    return env, ports


@pytest.fixture
def up_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    yield _env(tmp_path / "data")


def _wait_for(process: subprocess.Popen[str], text: str, timeout: float = 240.0) -> str:
    """What the process printed until ``text`` (stdout is line-buffered by rich)."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    process.kill()
    raise AssertionError(f"no {text!r} in time:\n{''.join(seen)}")


def test_up_runs_the_region_and_ctrl_c_stops_every_part(
    up_env: tuple[dict[str, str], dict[str, int]],
) -> None:
    env, ports = up_env
    process = subprocess.Popen(
        [sys.executable, "-m", "govchain.cli", "up", "--without", "agents"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        shown = _wait_for(process, "Alles läuft")
        assert "Chain (Ganache) bereit" in shown and "Verträge bereitgestellt" in shown
        for title in ("Ausstellungsdienst", "Prüfdienst", "Bürger-Wallet", "Plattform"):
            assert f"{title} bereit" in shown, shown
        pages = {
            "issuer": "/issuer/",
            "verifier": "/verifier/",
            "wallet": "/wallet/",
            "platform": "/docs",
        }
        for name, path in pages.items():
            answer = httpx.get(f"http://127.0.0.1:{ports[name]}{path}")
            assert answer.status_code in {200, 303}, (name, answer.status_code)
        chain = httpx.post(
            f"http://127.0.0.1:{ports['ganache']}",
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        )
        assert chain.json()["result"] == hex(1337)
        tree = _children(process.pid)
        assert len(tree) >= 5  # the chain node and four services (and their children)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, out
    assert "Stoppe Plattform" in out and "Region gestoppt" in out
    assert out.index("Stoppe Plattform") < out.index("Stoppe Chain (Ganache)")
    assert not _alive(tree), "parts outlived the supervisor"


def test_a_busy_port_starts_nothing_and_names_the_part(
    up_env: tuple[dict[str, str], dict[str, int]],
) -> None:
    env, ports = up_env
    with socket.create_server(("127.0.0.1", ports["verifier"])):
        done = subprocess.run(
            [sys.executable, "-m", "govchain.cli", "up", "--without", "agents"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert f"Prüfdienst braucht 127.0.0.1:{ports['verifier']}" in done.stderr
    assert "Nichts wurde gestartet" in done.stderr and "Nothing was started" in done.stderr
    assert not (Path(env["GOVCHAIN_DATA_DIR"]) / "logs").exists()


def _listener(port: int, *, then_exit_after: float | None = None, fail: bool = False) -> Part:
    """A tiny real part: a Python process that listens on ``port`` (and exits later, or
    fails at once with a message)."""
    if fail:
        code = "import sys; print('Konfiguration kaputt: X fehlt'); sys.exit(3)"
    else:
        wait = (
            f"time.sleep({then_exit_after}); sys.exit(4)" if then_exit_after else "time.sleep(600)"
        )
        code = (
            "import socket, sys, time; "
            f"s = socket.create_server(('127.0.0.1', {port})); s.listen(); "
            f"print('hört auf {port}', flush=True); {wait}"
        )
    return Part(
        f"part-{port}",
        f"Teil {port}",
        (sys.executable, "-c", code),
        (("127.0.0.1", port),),
        f"http://127.0.0.1:{port}",
        start_timeout=30,
    )


def test_a_part_failing_at_start_stops_the_started_ones_with_its_log(tmp_path: Path) -> None:
    steady = _listener(free_port())
    broken = _listener(free_port(), fail=True)
    region = Region(tmp_path / "logs")
    with pytest.raises(PartFailedError) as caught, region:
        region.start(steady)
        started = region.pids[steady.key]
        region.start(broken)
    message = str(caught.value)
    assert "Teil" in message and "exit code 3" in message
    assert "Konfiguration kaputt: X fehlt" in message  # the tail of its log
    assert "Exit-Code 3" in caught.value.message_de
    assert not _alive({started})


def test_a_part_that_stops_later_is_reported_by_watch(tmp_path: Path) -> None:
    steady = _listener(free_port())
    short = _listener(free_port(), then_exit_after=0.5)
    region = Region(tmp_path / "logs")
    with pytest.raises(PartFailedError) as caught, region:
        region.start(steady)
        region.start(short)
        started = set(region.pids.values())
        region.watch()
    assert f"Teil {short.ports[0][1]} stopped on its own (exit code 4)" in str(caught.value)
    assert not _alive(started)


def test_busy_ports_are_found_before_anything_starts() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(PartPortBusyError, match=f"Teil {port} needs 127.0.0.1:{port}"):
            Region.check_ports([_listener(free_port()), _listener(port)])


def test_the_plan_follows_the_settings(tmp_path: Path) -> None:
    embedded = GovchainSettings(data_dir=tmp_path, chain_backend=ChainBackendKind.EMBEDDED)
    with pytest.raises(SettingsError, match="embedded chain"):
        chain_parts(embedded)
    rpc = GovchainSettings(
        data_dir=tmp_path, chain_backend=ChainBackendKind.RPC, rpc_url="http://127.0.0.1:1"
    )
    assert chain_parts(rpc) == []  # an RPC node runs elsewhere
    with pytest.raises(SettingsError, match="Unknown part 'archive'"):
        service_parts({"archive"}, lambda cls: cls(data_dir=tmp_path))
    parts, _ = service_parts({"agents"}, lambda cls: cls(data_dir=tmp_path))
    assert [p.key for p in parts] == list(SERVICES)
    assert parts[0].argv[-2:] == ("issuer", "serve")


def test_the_verifier_service_is_pointed_at_the_verifier_agent(tmp_path: Path) -> None:
    if not default_acapy_executable().is_file():
        pytest.fail("ACA-Py is not installed; run scripts/bootstrap-agents.sh")
    parts, notes = service_parts(set(), lambda cls: cls(data_dir=tmp_path))
    assert notes == [] and [p.key for p in parts] == ["agents", *SERVICES]
    agents = AgentSettings(data_dir=tmp_path)
    (verifier,) = [p for p in parts if p.key == "verifier"]
    assert verifier.env["GOVCHAIN_VERIFIER_AGENT_ADMIN_URL"] == (
        f"http://{agents.agents_host}:{agents.agents_verifier_admin_port}"
    )
    assert ("127.0.0.1", agents.agents_holder_admin_port) in parts[0].ports
    others = [p for p in parts if p.key not in {"agents", "verifier"}]
    assert all("GOVCHAIN_VERIFIER_AGENT_ADMIN_API_KEY" not in p.env for p in others)

    # the verifier agent also posts its webhooks to the service, with a fresh key that
    # only these two get
    hook_key = verifier.env["GOVCHAIN_VERIFIER_AGENT_WEBHOOK_API_KEY"]
    assert len(hook_key) >= 32
    (target,) = json.loads(parts[0].env["GOVCHAIN_AGENTS_VERIFIER_EXTRA_WEBHOOKS"])
    port = VerifierSettings(data_dir=tmp_path).verifier_port
    assert target == f"http://127.0.0.1:{port}/verifier/v1/didcomm/webhooks#{hook_key}"
    assert all(hook_key not in json.dumps(dict(p.env)) for p in others)
    again, _ = service_parts(set(), lambda cls: cls(data_dir=tmp_path))
    (verifier_again,) = [p for p in again if p.key == "verifier"]
    assert verifier_again.env["GOVCHAIN_VERIFIER_AGENT_WEBHOOK_API_KEY"] != hook_key  # per run
    # the settings the children read from these variables are valid
    assert VerifierSettings(data_dir=tmp_path, **_lower(verifier.env)).webhooks_enabled
    (extra,) = AgentSettings(data_dir=tmp_path, **_lower(parts[0].env)).extra_webhooks(
        AgentRole.VERIFIER
    )
    assert extra.get_secret_value() == target

    without_verifier, _ = service_parts({"verifier"}, lambda cls: cls(data_dir=tmp_path))
    assert without_verifier[0].key == "agents" and dict(without_verifier[0].env) == {}


def _lower(env: Mapping[str, str]) -> dict[str, Any]:
    """Environment variables as settings' keyword arguments (JSON values decoded)."""
    values: dict[str, Any] = {}
    for name, value in env.items():
        key = name.removeprefix("GOVCHAIN_").lower()
        values[key] = json.loads(value) if value.startswith("[") else value
    return values
