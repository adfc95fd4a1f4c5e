"""Ganache as a managed child process: clean shutdown, state that survives restarts,
and `govchain chain up` stopping on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account

from govchain.chain.backends import GanacheBackend
from govchain.chain.errors import PortBusyError
from govchain.chain.ganache import GanacheProcess, ensure_port_free
from govchain.chain.gateway import ChainGateway
from tests.conftest import free_port

pytestmark = pytest.mark.ganache


def test_state_survives_a_clean_restart(tmp_path: Path) -> None:
    port = free_port()
    node = GanacheProcess(port=port, db_path=tmp_path / "db", log_path=tmp_path / "g.log")
    node.start()
    receiver = Account.create().address
    try:
        gateway = ChainGateway(GanacheBackend(node.url, 5))
        gateway.fund(receiver, 12345)
        height = gateway.block_number()
    finally:
        node.stop()
    assert not node.is_running()
    ensure_port_free("127.0.0.1", port)  # the port is released

    node.start()
    try:
        gateway = ChainGateway(GanacheBackend(node.url, 5))
        assert gateway.block_number() == height
        assert gateway.balance(receiver) == 12345
    finally:
        node.stop()


def test_a_second_node_on_the_same_port_is_refused(ganache: GanacheProcess, tmp_path: Path) -> None:
    other = GanacheProcess(port=ganache.port, log_path=tmp_path / "g.log")
    with pytest.raises(PortBusyError):
        other.start()
    assert ganache.is_running()


def test_chain_up_stops_ganache_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GOVCHAIN_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "govchain.cli", "chain", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                ensure_port_free("127.0.0.1", port)
            except PortBusyError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("chain up did not start listening")
        time.sleep(1)  # let it finish starting before interrupting
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Ganache gestoppt" in out
    ensure_port_free("127.0.0.1", port)
