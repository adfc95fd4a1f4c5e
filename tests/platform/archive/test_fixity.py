"""Fixity on a schedule: every file of every AIP is re-hashed (SHA-256 and SHA-512) when
its check is due; a damaged AIP is marked, closed to the public, never renewed over, and
restored once its files are whole again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.archive._db import VERSION_TABLE, Base
from govchain.platform.archive.errors import AipDamagedError, NotReleasedError
from govchain.platform.archive.evidence import HashAlgorithm
from govchain.platform.archive.service import ArchiveService
from govchain.platform.archive.states import AipState, EventOutcome, EventType
from tests.platform.archive.conftest import INFO, make_bag

Offline = tuple[ArchiveService, AnchoringService]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_checks_run_when_due_and_find_every_kind_of_damage(
    offline: Offline, tmp_path: Path
) -> None:
    archive, _ = offline
    old = {**INFO, "Protection-End": "2000-12-31"}  # open to the public, were it preserved
    aip = archive.ingest_bag(make_bag(tmp_path, info=old), now=T0).aip_id
    assert archive.check_fixity_due(now=T0 + timedelta(days=89)) == []
    (report,) = archive.check_fixity_due(now=T0 + timedelta(days=90))
    assert report.ok and report.files_checked == 10  # 4 payload, 6 tag files
    assert archive.check_fixity_due(now=T0 + timedelta(days=91)) == []  # next one in 90 days

    content = archive.store.file_path(aip, 1, "content/data/Bescheid.txt")
    original = content.read_bytes()
    content.write_bytes(original.replace(b"erteilt", b"versagt"))
    (content.parent / "untergeschoben.txt").write_text("fremd")
    archive.store.file_path(aip, 1, "content/data/Bauantrag.pdf").unlink()

    (damaged,) = archive.check_fixity_due(now=T0 + timedelta(days=180))

    assert not damaged.ok and damaged.state is AipState.DAMAGED
    problems = {(p.path, p.problem_en.split(" ")[0]) for p in damaged.problems}
    assert problems == {
        ("content/data/Bescheid.txt", "SHA-256"),
        ("content/data/Bescheid.txt", "SHA-512"),
        ("content/data/untergeschoben.txt", "a"),
        ("content/data/Bauantrag.pdf", "missing"),
    }
    last = archive.events(aip)[-1]
    assert (last.event_type, last.event_outcome) == (EventType.FIXITY_CHECK, EventOutcome.FAILURE)
    assert "content/data/Bauantrag.pdf" in last.event_outcome_detail
    with pytest.raises(NotReleasedError, match="fixity") as refused:
        archive.public_record(aip, now=T0 + timedelta(days=181))
    assert "Fixitätsprüfung" in refused.value.message_de
    with pytest.raises(AipDamagedError):
        archive.renew_hash_tree(aip, HashAlgorithm.SHA512, reason_en="x", reason_de="x")

    # Restored from a copy: the next check passes and the AIP is back where it was.
    content.write_bytes(original)
    (content.parent / "untergeschoben.txt").unlink()
    (archive.store.file_path(aip, 1, "content/data/Bauantrag.pdf")).write_bytes(
        make_bag(tmp_path, name="copy").joinpath("data", "Bauantrag.pdf").read_bytes()
    )
    repaired = archive.check_fixity(aip, now=T0 + timedelta(days=182))
    assert repaired.ok and repaired.state is AipState.STORED
    assert [e.event_type for e in archive.events(aip)][-2:] == [
        EventType.FIXITY_CHECK,
        EventType.REPAIR,
    ]


def test_the_schema_comes_from_the_archive_s_own_migrations(offline: Offline) -> None:
    archive, _ = offline
    with archive.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
        assert connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all() == [
            ("0001",)
        ]
    assert (archive.directory / "archive.sqlite3").is_file()
