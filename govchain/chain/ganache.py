"""Ganache as a managed child process on loopback.

govchain starts the pinned npm ``ganache`` with its database under the data directory
(so the chain survives restarts), waits until it answers JSON-RPC, and stops it cleanly
(SIGTERM, then SIGKILL after a grace period). A busy port or missing npm packages give
one clear error before anything starts.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import signal
import socket
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from govchain._process import ManagedProcess
from govchain.chain.compiler import find_node_modules
from govchain.chain.errors import GanacheStartError, NodeToolsMissingError, PortBusyError

__all__ = ["GanacheProcess", "ensure_port_free"]

log = logging.getLogger(__name__)

HARDFORK = "shanghai"


def ensure_port_free(host: str, port: int) -> None:
    """Raise PortBusyError if something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise PortBusyError(host, port) from err
            raise GanacheStartError(
                f"Cannot listen on {host}:{port}: {err.strerror or err}.",
                f"Auf {host}:{port} kann nicht gelauscht werden: {err.strerror or err}.",
            ) from err


class GanacheProcess(ManagedProcess):
    """One ganache node, owned by this process (stopped with SIGTERM so it flushes its
    database).

    Args:
        db_path: folder for ganache's database; ``None`` keeps the chain in memory.
        log_path: where ganache's output goes (its tail is shown if it fails to start).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8545,
        chain_id: int = 1337,
        db_path: Path | None = None,
        log_path: Path,
        node_modules: Path | None = None,
        block_time: int = 0,
    ) -> None:
        super().__init__(log_path)
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.db_path = db_path
        self.block_time = block_time
        self._node_modules = node_modules

    @property
    def url(self) -> str:
        """The JSON-RPC URL of the node."""
        return f"http://{self.host}:{self.port}"

    @property
    def _label(self) -> str:
        return "ganache"

    def _command(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise NodeToolsMissingError(
                "Node.js is not installed; govchain needs it for ganache.",
                "Node.js ist nicht installiert; govchain braucht es für ganache.",
            )
        cli = find_node_modules(self._node_modules) / "ganache" / "dist" / "node" / "cli.js"
        if not cli.is_file():
            raise NodeToolsMissingError(
                f"The npm package ganache is not installed ({cli} missing); run `npm ci`.",
                f"Das npm-Paket ganache ist nicht installiert ({cli} fehlt); `npm ci` ausführen.",
            )
        command = [
            node,
            str(cli),
            "--server.host",
            self.host,
            "--server.port",
            str(self.port),
            "--chain.chainId",
            str(self.chain_id),
            "--chain.hardfork",
            HARDFORK,
            "--wallet.deterministic",
            "--wallet.totalAccounts",
            "2",
            "--wallet.defaultBalance",
            "1000000",
            "--miner.blockTime",
            str(self.block_time),
        ]
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
            command += ["--database.dbPath", str(self.db_path)]
        return command

    def start(self, timeout: float = 60.0) -> None:
        """Start ganache and wait until it answers; raise a clear error otherwise."""
        if self._proc is not None:
            return
        ensure_port_free(self.host, self.port)
        proc = self._spawn(self._command())
        try:
            self._wait_until_up(proc, timeout)
            log.info("ganache up at %s (pid %s)", self.url, proc.pid)
        except BaseException:
            self.stop()  # never leave a half-started node behind (Ctrl-C, errors)
            raise

    def _exited_error(self, returncode: int) -> GanacheStartError:
        tail = self.log_tail()
        return GanacheStartError(
            f"Ganache exited during start-up; last lines of {self.log_path}:\n{tail}",
            f"Ganache hat sich beim Start beendet; letzte Zeilen von {self.log_path}:\n{tail}",
        )

    def _timeout_error(self, timeout: float) -> GanacheStartError:
        return GanacheStartError(
            f"Ganache did not answer on {self.url} within {timeout:.0f} s; see {self.log_path}.",
            f"Ganache hat auf {self.url} nicht binnen {timeout:.0f} s geantwortet; "
            f"siehe {self.log_path}.",
        )

    def _is_up(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return bool(json.load(response).get("result"))
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def kill(self) -> None:
        """Kill ganache at once (SIGKILL), as a crash would."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def wait(self) -> int:
        """Block until ganache exits; return its exit code."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
