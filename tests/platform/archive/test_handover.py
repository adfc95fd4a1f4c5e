"""Handing records over to the archive: a real BagIt bag becomes an AIP with SHA-256 and
SHA-512 fixity; every bad bag is refused with a precise reason and leaves nothing behind,
also when the process is killed in the middle of an ingest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.archive.errors import (
    BagInvalidError,
    BagMetadataError,
    NotABagError,
    PayloadFileChangedError,
    PayloadFileMissingError,
    SipError,
    UnexpectedPayloadFileError,
)
from govchain.platform.archive.service import ArchiveService
from govchain.platform.archive.states import AipState, EventType
from tests.platform.archive.conftest import (
    CITY,
    INFO,
    NS,
    PAYLOAD,
    make_bag,
    nothing_written,
    zip_bag,
)

Offline = tuple[ArchiveService, AnchoringService]


def test_a_bag_becomes_an_aip_with_both_digests(offline: Offline, tmp_path: Path) -> None:
    archive, anchoring = offline
    bag = make_bag(tmp_path)

    summary = archive.ingest_bag(bag)

    assert summary.state is AipState.STORED
    assert (summary.office, summary.file_plan_number) == ("Bauordnungsamt Aachen", "63.01.02")
    assert summary.retention_end.isoformat() == "2024-12-31"
    assert summary.protection_end.isoformat() == "2054-12-31"
    assert summary.external_identifier == "BA-2014-0815"
    assert summary.payload_files == 4
    assert summary.payload_bytes == sum(len(v) for v in PAYLOAD.values())
    detail = archive.aip(summary.aip_id)
    files = {f.path: f for f in detail.files}
    for rel, data in PAYLOAD.items():
        stored = files[f"content/data/{rel}"]
        assert stored.version == 1 and stored.size == len(data)
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.sha512 == hashlib.sha512(data).hexdigest()
        on_disk = archive.store.file_path(summary.aip_id, 1, f"content/data/{rel}")
        assert on_disk.read_bytes() == data
    assert {"content/bagit.txt", "content/bag-info.txt", "content/manifest-sha512.txt"} <= set(
        files
    )
    inventory = json.loads((archive.store.aip_dir(summary.aip_id) / "inventory.json").read_text())
    assert inventory["id"] == summary.aip_id and inventory["head"] == "v1"
    entry = inventory["versions"]["v1"]["files"]["content/data/Bescheid.txt"]
    assert entry["sha-256"] == hashlib.sha256(PAYLOAD["Bescheid.txt"]).hexdigest()
    assert entry["sha-512"] == hashlib.sha512(PAYLOAD["Bescheid.txt"]).hexdigest()
    assert [e.event_type for e in detail.events] == [EventType.INGESTION]
    assert detail.time_stamps_pending == 1 and detail.time_stamps_anchored == 0
    # The evidence root waits in the archive's namespace of the anchoring log.
    assert [(s.namespace, s.size) for s in anchoring.status()] == [(NS, 1)]
    assert list(archive.store.staging.iterdir()) == []


def _remove(bag: Path) -> None:
    (bag / "data" / "Bescheid.txt").unlink()


def _add(bag: Path) -> None:
    (bag / "data" / "Nachtrag.txt").write_text("nachträglich eingefügt")


def _change_same_size(bag: Path) -> None:
    path = bag / "data" / "Bauantrag.pdf"
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))


def _change_size(bag: Path) -> None:
    with (bag / "data" / "Bauantrag.pdf").open("ab") as handle:
        handle.write(b"angehaengt")


def _change_bag_info(bag: Path) -> None:
    path = bag / "bag-info.txt"
    path.write_text(path.read_text().replace("63.01.02", "63.01.03"))


def _symlink(bag: Path) -> None:
    os.symlink("/etc/hostname", bag / "data" / "verweis.txt")


def _no_bagit_txt(bag: Path) -> None:
    (bag / "bagit.txt").unlink()


def _garbage_bagit_txt(bag: Path) -> None:
    (bag / "bagit.txt").write_text("this is no declaration\n")


def _no_data_dir(bag: Path) -> None:
    (bag / "data").rename(bag / "nutzdaten")


def _no_manifest(bag: Path) -> None:
    for manifest in bag.glob("manifest-*.txt"):
        manifest.unlink()


def _fetch(bag: Path) -> None:
    (bag / "fetch.txt").write_text("https://dms.example/Akte.pdf 100 data/Akte.pdf\n")


def _wrong_oxum(bag: Path) -> None:
    opened = bagit.Bag(str(bag))
    opened.info["Payload-Oxum"] = "1.1"
    opened.save()  # rewrites bag-info.txt and the tag manifests, not the Oxum


BROKEN: list[tuple[str, Callable[[Path], None], type[SipError], list[str]]] = [
    ("missing payload file", _remove, PayloadFileMissingError, ["data/Bescheid.txt"]),
    ("extra payload file", _add, UnexpectedPayloadFileError, ["data/Nachtrag.txt"]),
    ("changed payload file", _change_same_size, PayloadFileChangedError, ["data/Bauantrag.pdf"]),
    ("changed and longer file", _change_size, PayloadFileChangedError, ["data/Bauantrag.pdf"]),
    ("changed bag-info.txt", _change_bag_info, PayloadFileChangedError, ["bag-info.txt"]),
    ("symbolic link", _symlink, BagInvalidError, ["data/verweis.txt", "symbolic link"]),
    ("no bagit.txt", _no_bagit_txt, NotABagError, ["bagit.txt"]),
    ("unreadable bagit.txt", _garbage_bagit_txt, NotABagError, ["bagit cannot read it"]),
    ("no data directory", _no_data_dir, NotABagError, ["data/"]),
    ("no payload manifest", _no_manifest, NotABagError, ["manifest"]),
    ("files to fetch", _fetch, BagInvalidError, ["fetch.txt"]),
    ("wrong Payload-Oxum", _wrong_oxum, BagInvalidError, ["Payload-Oxum"]),
]


@pytest.mark.parametrize(
    ("damage", "error", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_broken_bag_is_refused_precisely_and_nothing_is_kept(
    offline: Offline,
    tmp_path: Path,
    damage: Callable[[Path], None],
    error: type[SipError],
    words: list[str],
) -> None:
    archive, anchoring = offline
    bag = make_bag(tmp_path)
    damage(bag)
    with pytest.raises(error) as caught:
        archive.ingest_bag(bag)
    err = caught.value
    for word in words:
        assert word in err.message, (word, err.message)
    assert err.message_de != err.message and err.status == 400 and err.code
    if hasattr(err, "paths"):
        assert err.paths == [w for w in words if "/" in w or w.endswith(".txt")]
    nothing_written(archive, anchoring)


def test_every_changed_file_and_digest_is_named(offline: Offline, tmp_path: Path) -> None:
    archive, anchoring = offline
    bag = make_bag(tmp_path)
    _change_same_size(bag)
    (bag / "data" / "Bescheid.txt").write_bytes(b"Baugenehmigung versagt.")
    with pytest.raises(PayloadFileChangedError) as caught:
        archive.ingest_bag(bag)
    changed = {(path, alg) for path, alg, _, _ in caught.value.mismatches}
    assert changed == {
        (p, a) for p in ("data/Bauantrag.pdf", "data/Bescheid.txt") for a in ("sha256", "sha512")
    }
    assert "und 3 weitere" in caught.value.message_de
    nothing_written(archive, anchoring)


def _without(name: str) -> dict[str, str]:
    return {k: v for k, v in INFO.items() if k != name}


METADATA: list[tuple[str, dict[str, str | list[str]], str, list[str]]] = [
    ("no Office", {**_without("Office")}, "Office", ["Office", "missing"]),
    ("no file-plan number", {**_without("File-Plan-Number")}, "File-Plan-Number", ["missing"]),
    ("no retention end", {**_without("Retention-End")}, "Retention-End", ["missing"]),
    ("no protection end", {**_without("Protection-End")}, "Protection-End", ["missing"]),
    (
        "two fields missing",
        {k: v for k, v in INFO.items() if k not in ("Office", "Protection-End")},
        "Office",
        ["Office, Protection-End"],
    ),
    ("empty Office", {**INFO, "Office": "   "}, "Office", ["empty"]),
    ("Office twice", {**INFO, "Office": ["Bauamt", "Ordnungsamt"]}, "Office", ["2 times"]),
    ("German date", {**INFO, "Protection-End": "31.12.2054"}, "Protection-End", ["'31.12.2054'"]),
    ("no such day", {**INFO, "Protection-End": "2054-02-30"}, "Protection-End", ["2054-02-30"]),
    ("words", {**INFO, "Retention-End": "bald"}, "Retention-End", ["not a calendar date"]),
    (
        "retention not over",
        {**INFO, "Retention-End": "2099-12-31"},
        "Retention-End",
        ["2099-12-31", "after today"],
    ),
]


@pytest.mark.parametrize(
    ("info", "field", "words"), [m[1:] for m in METADATA], ids=[m[0] for m in METADATA]
)
def test_bad_metadata_is_refused_precisely_and_nothing_is_kept(
    offline: Offline,
    tmp_path: Path,
    info: dict[str, str],
    field: str,
    words: list[str],
) -> None:
    archive, anchoring = offline
    bag = make_bag(tmp_path, info=info)
    with pytest.raises(BagMetadataError) as caught:
        archive.ingest_bag(bag)
    assert caught.value.field == field
    for word in words:
        assert word in caught.value.message
    assert caught.value.message_de.startswith("bag-info.txt:")
    nothing_written(archive, anchoring)


def test_other_bags_that_are_no_archive_handover(offline: Offline, tmp_path: Path) -> None:
    archive, anchoring = offline
    weak = make_bag(tmp_path, checksums=("md5",), name="weak")
    with pytest.raises(BagInvalidError, match="use only md5"):
        archive.ingest_bag(weak)
    empty = make_bag(tmp_path, payload={}, name="empty")
    with pytest.raises(BagInvalidError, match=r"payload \(data/\) is empty"):
        archive.ingest_bag(empty)
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(b"%PDF")
    with pytest.raises(NotABagError, match="not a directory"):
        archive.ingest_bag(plain)
    nothing_written(archive, anchoring)


def test_a_zipped_bag_is_taken_with_or_without_a_top_directory(
    offline: Offline, tmp_path: Path
) -> None:
    archive, _ = offline
    bag = make_bag(tmp_path)
    first = archive.ingest_zip(io.BytesIO(zip_bag(bag)))
    second = archive.ingest_zip(io.BytesIO(zip_bag(bag, top=None)))
    assert {a.aip_id for a in archive.aips()} == {first.aip_id, second.aip_id}
    a, b = (
        sorted((f.path, f.sha512) for f in archive.aip(x.aip_id).files) for x in (first, second)
    )
    assert a == b
    assert list(archive.store.incoming.iterdir()) == []


def _zip(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_bad_zips_are_refused_and_nothing_lands_outside(offline: Offline, tmp_path: Path) -> None:
    archive, anchoring = offline
    bag = make_bag(tmp_path)
    good = zipfile.ZipFile(io.BytesIO(zip_bag(bag)))
    members = {n: good.read(n) for n in good.namelist()}
    cases = [
        (b"PK\x03\x04 kein ZIP", NotABagError, "not a ZIP"),
        (_zip({"Akte/Bauantrag.pdf": b"%PDF"}), NotABagError, "no bagit.txt"),
        (_zip({**members, "../ausgebrochen.txt": b"x"}), NotABagError, "outside the bag"),
        (_zip(members, links=("bag/data/passwd",)), NotABagError, "symbolic link"),
        (
            _zip({k: v for k, v in members.items() if k != "bag/data/Bescheid.txt"}),
            PayloadFileMissingError,
            "data/Bescheid.txt",
        ),
    ]
    for data, error, words in cases:
        with pytest.raises(error, match=words):
            archive.ingest_zip(io.BytesIO(data))
    with pytest.raises(NotABagError, match="cannot be unpacked"):
        archive.ingest_zip(io.BytesIO(_unsupported_compression(zip_bag(bag))))
    assert not (archive.store.root / "ausgebrochen.txt").exists()
    assert not (archive.store.incoming.parent.parent / "ausgebrochen.txt").exists()
    nothing_written(archive, anchoring)


def _unsupported_compression(data: bytes) -> bytes:
    """The same ZIP with every member's compression method set to 99 (AES, as encrypting
    tools write it), which Python's zipfile cannot unpack."""
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = raw.find(signature)
        while at != -1:
            raw[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
            at = raw.find(signature, at + 4)
    return bytes(raw)


_CRASHING_INGEST = """
import sys
from pathlib import Path
from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.archive.service import ArchiveService, IngestCrashPoint
root, bag, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
anchoring = AnchoringService(root / "anchoring", None)
crash_at = IngestCrashPoint(point)
archive = ArchiveService(root / "archive", anchoring, city="aachen", crash_at=crash_at)
archive.ingest_bag(bag)
raise SystemExit("the fault injection did not fire")
"""


def _ingest_and_die(root: Path, bag: Path, point: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_INGEST, str(root), str(bag), point],
        cwd=Path(__file__).parents[3],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize(("point", "left"), [("copying", "staging"), ("stored", "aips")])
def test_a_crash_mid_ingest_leaves_no_aip(tmp_path: Path, point: str, left: str) -> None:
    bag = make_bag(tmp_path)
    _ingest_and_die(tmp_path, bag, point)
    # The crash left a partial (staging) or unrecorded (aips) directory behind ...
    assert list((tmp_path / "archive" / left).iterdir())
    anchoring = AnchoringService(tmp_path / "anchoring", None)
    archive = ArchiveService(tmp_path / "archive", anchoring, city=CITY)
    try:
        # ... which the restarted archive removes: there is no AIP, and nothing was anchored.
        nothing_written(archive, anchoring)
        again = archive.ingest_bag(bag)
        assert [a.aip_id for a in archive.aips()] == [again.aip_id]
    finally:
        archive.close()
        anchoring.close()


def test_a_crash_after_the_commit_loses_no_time_stamp(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    _ingest_and_die(tmp_path, bag, "committed")
    anchoring = AnchoringService(tmp_path / "anchoring", None)
    archive = ArchiveService(tmp_path / "archive", anchoring, city=CITY)
    try:
        (aip,) = archive.aips()
        assert aip.state is AipState.STORED
        assert anchoring.status() == []  # the root was never handed over ...
        assert archive.request_time_stamps() == 1  # ... until the next run
        assert [(s.namespace, s.size) for s in anchoring.status()] == [(NS, 1)]
        assert archive.request_time_stamps() == 0
    finally:
        archive.close()
        anchoring.close()


def test_interrupted_version_writes_are_cleaned_up(offline: Offline, tmp_path: Path) -> None:
    archive, anchoring = offline
    aip = archive.ingest_bag(make_bag(tmp_path))
    base = archive.store.aip_dir(aip.aip_id)
    (base / ".v2.tmp" / "preservation").mkdir(parents=True)
    (base / "v3").mkdir()
    (base / "inventory.json").write_text("{}")
    archive.close()
    again = ArchiveService(tmp_path / "archive", anchoring, city=CITY)
    try:
        assert sorted(p.name for p in base.iterdir()) == ["inventory.json", "v1"]
        assert json.loads((base / "inventory.json").read_text())["head"] == "v1"
        assert again.check_fixity(aip.aip_id).ok
    finally:
        again.close()
