"""Child processes govchain supervises (Ganache, ACA-Py agents)."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

__all__ = ["ManagedProcess", "die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child (as ``preexec_fn``): ask Linux to SIGTERM it when govchain dies, even
    by kill -9, so no orphaned node or agent keeps a port.

    Linux ties this to the thread that started the child, so start children from a
    thread that lives as long as they do (the main thread, in the CLI and the tests).
    """
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess(ABC):
    """One child process owned by this process, in its own session, its output in a log.

    Subclasses build the command and say when the child is up and which errors to raise;
    this class starts it (`_spawn`), waits for it (`_wait_until_up`) and stops it (SIGTERM
    to its process group, SIGKILL after a grace period).
    """

    _poll_seconds: ClassVar[float] = 0.2  # how often `_wait_until_up` asks

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc else None

    @property
    @abstractmethod
    def _label(self) -> str:
        """The child's name in log lines ("ganache", "the issuer agent")."""

    @abstractmethod
    def _is_up(self) -> bool:
        """Whether the child answers (one quick check)."""

    @abstractmethod
    def _exited_error(self, returncode: int) -> Exception:
        """The error to raise when the child exits before it is up."""

    @abstractmethod
    def _timeout_error(self, timeout: float) -> Exception:
        """The error to raise when the child is not up within `timeout` seconds."""

    def _spawn(
        self, command: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start the child with its output appended to `log_path` (``env=None`` inherits)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log_file:
            proc = self._proc = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - prctl only, no locks taken
            )
        return proc

    def _wait_until_up(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        """Poll until `_is_up`; raise `_exited_error` or `_timeout_error` otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._proc = None
                raise self._exited_error(proc.returncode)
            if self._is_up():
                return
            time.sleep(self._poll_seconds)
        raise self._timeout_error(timeout)

    def _signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the child's process group if it still runs, without waiting."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, sig)

    def stop(self, grace: float = 10.0) -> None:
        """Stop the child: SIGTERM so it closes its files cleanly, SIGKILL after `grace` s."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            logging.getLogger(type(self).__module__).warning(
                "%s did not stop within %.0f s; killing it", self._label, grace
            )
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def is_running(self) -> bool:
        """Whether the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the child wrote."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
