"""The archive's database comes from the shared ``govchain._sql`` set-up: SQLite settings,
its own migrations in ``alembic_version_archive``, reopening is idempotent."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from sqlalchemy import text

from govchain.platform.archive._db import MIGRATIONS, VERSION_TABLE, open_database


def test_open_database_migrates_once_with_the_shared_sqlite_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "archive.sqlite3"
    engine = open_database(path)
    assert VERSION_TABLE == "alembic_version_archive"
    assert MIGRATIONS.version_table == VERSION_TABLE
    assert MIGRATIONS.current(engine) == MIGRATIONS.head() == "0001"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()

    again = open_database(path)  # reopening applies nothing twice
    with again.connect() as connection:
        assert connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all() == [
            ("0001",)
        ]
    again.dispose()


def test_migrations_render_offline_into_the_archive_s_version_table() -> None:
    config = MIGRATIONS.config("sqlite://")
    out = io.StringIO()
    config.output_buffer = out
    command.upgrade(config, "head", sql=True)
    sql = out.getvalue()
    assert f"CREATE TABLE {VERSION_TABLE}" in sql
    assert "CREATE TABLE aips" in sql
