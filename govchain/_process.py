"""Child processes govchain supervises (Ganache, ACA-Py agents)."""

from __future__ import annotations

import ctypes
import signal
import sys

__all__ = ["die_with_parent"]

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
