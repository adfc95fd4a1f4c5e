"""Writing files so that a crash never leaves half of one behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "create_file", "sync_directory"]


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` through a synced temporary file and a rename.

    Readers see the old content or the new, never a part; the file gets ``mode`` from
    its first byte on, so secrets are never briefly world-readable. The rename itself
    survives a power cut only once the folder is synced (``sync_directory``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def create_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``path`` only if it does not exist yet, whole or not at all, durably.

    The content goes to a synced temporary file that is then hard-linked to ``path``:
    ``link`` refuses an existing target atomically, so of two concurrent writers exactly
    one wins (the other gets FileExistsError) and no reader sees a half-written file;
    the folder is synced afterwards.

    Raises:
        FileExistsError: ``path`` exists (it is left as it is).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    sync_directory(path.parent)


def sync_directory(path: Path) -> None:
    """fsync a folder, so that renames and new names in it survive a power cut."""
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
