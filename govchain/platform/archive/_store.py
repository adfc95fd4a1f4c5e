"""The AIP store on disk: one directory per AIP, one immutable directory per version, every
file with its SHA-256 and SHA-512.

Layout (docs/archive.md)::

    <archive>/aips/<aip-id>/inventory.json          versions and fixity, rewritten atomically
    <archive>/aips/<aip-id>/v1/content/...          the bag as handed over
    <archive>/aips/<aip-id>/v2/preservation/...     e.g. the evidence record as renewed

Everything is first written below a temporary name, synced, and then renamed into place,
so a crash leaves either a whole AIP (or version) or none; ``recover`` removes what a
crash left behind that the database does not know.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from govchain._files import atomic_write_text
from govchain.platform.archive.errors import PayloadFileChangedError

__all__ = ["AipStore", "StoredFile"]

log = logging.getLogger(__name__)

INVENTORY = "inventory.json"


@dataclass(frozen=True)
class StoredFile:
    """One file of one AIP version with its fixity."""

    version: int
    path: str  # below the version directory, POSIX separators
    size: int
    sha256: str
    sha512: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(1 << 20):
        yield chunk


def _write_synced(dest: Path, chunks: Iterable[bytes], algorithms: Iterable[str]) -> dict[str, str]:
    """Write chunks to dest, fsync it, and return the hex digests of what was written."""
    hashers = {a: hashlib.new(a) for a in {"sha256", "sha512", *algorithms}}
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as out:
        for chunk in chunks:
            for h in hashers.values():
                h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return {a: h.hexdigest() for a, h in hashers.items()}


class AipStore:
    """AIP directories below ``root``; staging and scratch space beside them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.aips = root / "aips"
        self.staging = root / "staging"
        self.incoming = root / "incoming"
        for d in (self.aips, self.staging, self.incoming):
            d.mkdir(parents=True, exist_ok=True)

    def aip_dir(self, aip_id: str) -> Path:
        """The directory of an AIP."""
        return self.aips / aip_id

    def file_path(self, aip_id: str, version: int, path: str) -> Path:
        """Where a file of a version lies."""
        return self.aip_dir(aip_id) / f"v{version}" / path

    def create(
        self,
        aip_id: str,
        source: Path,
        files: Sequence[str],
        expected: Mapping[str, Mapping[str, str]],
        *,
        inventory: Callable[[list[StoredFile]], str],
        checkpoint: Callable[[str], None] = lambda _: None,
    ) -> list[StoredFile]:
        """Copy a validated bag into a new AIP (version 1, below ``content/``), atomically.

        Every file is hashed as it is copied and compared with the digests its manifests
        gave, so what is stored is exactly what was validated.

        Raises:
            PayloadFileChangedError: a file changed between validation and copying.
        """
        stage = self.staging / aip_id
        stored: list[StoredFile] = []
        try:
            for n, rel in enumerate(files):
                wanted = expected.get(rel, {})
                with (source / rel).open("rb") as src:
                    found = _write_synced(stage / "v1" / "content" / rel, _chunks(src), wanted)
                changed = [(rel, a, e, found[a]) for a, e in wanted.items() if found[a] != e]
                if changed:
                    raise PayloadFileChangedError(changed)
                stored.append(
                    StoredFile(
                        1,
                        f"content/{rel}",
                        (stage / "v1" / "content" / rel).stat().st_size,
                        found["sha256"],
                        found["sha512"],
                    )
                )
                if n == 0:
                    checkpoint("copying")
            atomic_write_text(stage / INVENTORY, inventory(stored))
            for dirpath, _, _ in os.walk(stage):
                _fsync_dir(Path(dirpath))
            os.rename(stage, self.aip_dir(aip_id))
            _fsync_dir(self.aips)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        checkpoint("stored")
        return stored

    def add_version(
        self, aip_id: str, version: int, files: Mapping[str, bytes]
    ) -> list[StoredFile]:
        """Write a new version with these files (path below the version -> bytes), atomically."""
        base = self.aip_dir(aip_id)
        tmp = base / f".v{version}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        stored = []
        try:
            for rel, data in sorted(files.items()):
                found = _write_synced(tmp / rel, [data], [])
                stored.append(StoredFile(version, rel, len(data), found["sha256"], found["sha512"]))
            for dirpath, _, _ in os.walk(tmp):
                _fsync_dir(Path(dirpath))
            os.rename(tmp, base / f"v{version}")
            _fsync_dir(base)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return stored

    def write_inventory(self, aip_id: str, text: str) -> None:
        """Replace the AIP's inventory.json atomically."""
        atomic_write_text(self.aip_dir(aip_id) / INVENTORY, text)

    def files_on_disk(self, aip_id: str) -> set[tuple[int, str]]:
        """(version, path) of every file in the AIP's version directories."""
        base = self.aip_dir(aip_id)
        found = set()
        for vdir in base.iterdir() if base.is_dir() else []:
            if not vdir.name.startswith("v") or not vdir.name[1:].isdigit():
                continue
            for dirpath, _, filenames in os.walk(vdir):
                for name in filenames:
                    rel = (Path(dirpath) / name).relative_to(vdir).as_posix()
                    found.add((int(vdir.name[1:]), rel))
        return found

    def remove_version(self, aip_id: str, version: int) -> None:
        """Remove a version directory that the database never recorded."""
        shutil.rmtree(self.aip_dir(aip_id) / f"v{version}", ignore_errors=True)

    def recover(self, heads: Mapping[str, int]) -> list[str]:
        """Remove what a crash left: scratch and staging, AIPs and versions the database does
        not know (``heads``: AIP id -> last recorded version). Returns what was removed."""
        removed = []
        for scratch in (self.staging, self.incoming):
            for entry in scratch.iterdir():
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
                removed.append(str(entry.relative_to(self.root)))
        for aip in self.aips.iterdir():
            if aip.name not in heads:
                # Renamed into place, but the crash came before the database commit.
                shutil.rmtree(aip, ignore_errors=True)
                removed.append(str(aip.relative_to(self.root)))
                continue
            for vdir in aip.iterdir():
                name = vdir.name
                partial = name.startswith(".v") and name.endswith(".tmp")
                number = name[1:] if name.startswith("v") and name[1:].isdigit() else None
                later = number is not None and int(number) > heads[aip.name]
                if partial or later:
                    shutil.rmtree(vdir, ignore_errors=True)
                    removed.append(str(vdir.relative_to(self.root)))
        for item in removed:
            log.warning("removed %s, left behind by an interrupted write", item)
        return removed
