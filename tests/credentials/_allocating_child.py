"""The child process of the cross-process allocation test: a module of its own, so that
a spawned child imports little (and no test module with its fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govchain.credentials.status import RandomIndexAllocator


def allocate(uri: str, size: int, path: Path, count: int, go: Any, send: Any) -> None:
    """Draw ``count`` indexes from the shared file once ``go`` is set; send them back."""
    allocator = RandomIndexAllocator(uri, size, path=path, reserve=32)
    go.wait()
    send.send([allocator.allocate() for _ in range(count)])
    send.close()
