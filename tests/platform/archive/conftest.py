"""Helpers for the archive's tests: real BagIt bags made with the bagit library, ZIPs of
them, and archives on real SQLite with a real anchoring service."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest

from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.archive.service import ArchiveService

CITY = "aachen"
NS = f"archive.{CITY}"

PAYLOAD = {
    "Bauantrag.pdf": b"%PDF-1.7 Bauantrag Kaiserplatz 1\n" * 40,
    "Pläne/Grundriss EG.tif": b"II*\x00 Grundriss" * 64,
    "Pläne/Schnitt.tif": b"II*\x00 Schnitt" * 50,
    "Bescheid.txt": b"Baugenehmigung erteilt am 03.04.2014.\n",
}

INFO = {
    "Office": "Bauordnungsamt Aachen",
    "File-Plan-Number": "63.01.02",
    "Retention-End": "2024-12-31",
    "Protection-End": "2054-12-31",
    "External-Identifier": "BA-2014-0815",
    "External-Description": "Bauakte Kaiserplatz 1",
    "Source-Organization": "Stadt Aachen",
}


def make_bag(
    where: Path,
    *,
    info: dict[str, str] | None = None,
    payload: dict[str, bytes] | None = None,
    checksums: tuple[str, ...] = ("sha256", "sha512"),
    name: str = "bag",
) -> Path:
    """A real bag made by the bagit library, with the archive's metadata fields."""
    bag = where / name
    bag.mkdir(parents=True)
    for rel, data in (PAYLOAD if payload is None else payload).items():
        (bag / rel).parent.mkdir(parents=True, exist_ok=True)
        (bag / rel).write_bytes(data)
    bagit.make_bag(str(bag), dict(INFO if info is None else info), checksums=list(checksums))
    return bag


def zip_bag(bag: Path, *, top: str | None = "bag") -> bytes:
    """The bag serialized as a ZIP, inside one top-level directory (RFC 8493, 4.4)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                rel = path.relative_to(bag).as_posix()
                archive.write(path, f"{top}/{rel}" if top else rel)
    return buffer.getvalue()


def nothing_written(archive: ArchiveService, anchoring: AnchoringService) -> None:
    """Assert that a refused handover left no trace: no AIP, no files, no hash submitted."""
    assert archive.aips() == []
    for d in (archive.store.aips, archive.store.staging, archive.store.incoming):
        assert list(d.iterdir()) == [], d
    assert all(s.size == 0 for s in anchoring.status())


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[tuple[ArchiveService, AnchoringService]]:
    """An archive whose anchoring service has no chain yet (hashes queue durably)."""
    anchoring = AnchoringService(tmp_path / "anchoring", None)
    archive = ArchiveService(tmp_path / "archive", anchoring, city=CITY)
    yield archive, anchoring
    archive.close()
    anchoring.close()
