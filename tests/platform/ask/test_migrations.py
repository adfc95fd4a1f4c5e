"""The ASK's schema comes from its own Alembic migrations, applied at start, recorded in
its own version table, in step with the models, and expressible in PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from govchain.platform.ask._db import (
    VERSION_TABLE,
    alembic_config,
    current_revision,
    head_revision,
    migrate,
    open_engine,
)
from govchain.platform.ask._models import Base
from govchain.platform.ask.service import AskService
from govchain.platform.settings import PlatformSettings


def test_the_catalogue_database_is_created_under_the_data_dir_at_head(tmp_path: Path) -> None:
    settings = PlatformSettings(data_dir=tmp_path / "data")
    service = AskService.from_settings(settings)
    service.close()
    database = tmp_path / "data" / "ask" / "ask.sqlite3"
    assert database.is_file()
    engine = open_engine(f"sqlite:///{database}")
    tables = set(inspect(engine).get_table_names())
    assert tables == {"ask_entries", "ask_entry_events", VERSION_TABLE}
    assert "alembic_version" not in tables  # other services' migrations stay untouched
    assert current_revision(engine) == head_revision() == "0001"
    migrate(engine)  # a second start changes nothing
    assert current_revision(engine) == "0001"
    engine.dispose()


def test_the_migrations_and_the_models_agree(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'ask.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
    # Alembic does not compare CHECK constraints: their names are compared here.
    table = Base.metadata.tables["ask_entries"]
    declared = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
    created = {c["name"] for c in inspect(engine).get_check_constraints("ask_entries")}
    assert created == declared and "ck_ask_entries_medium" in created
    engine.dispose()


def test_the_migrations_render_as_postgresql(tmp_path: Path) -> None:
    """Offline (``--sql``) mode: the PostgreSQL DDL without a PostgreSQL server."""
    buffer = io.StringIO()
    config = alembic_config("postgresql://ask@localhost/ask")
    config.output_buffer = buffer
    command.upgrade(config, "head", sql=True)
    sql = buffer.getvalue()
    assert "CREATE TABLE alembic_version_ask" in sql
    assert "CREATE TABLE ask_entries" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert "CONSTRAINT uq_ask_entries_tenant_id_file_plan_number UNIQUE" in sql
    assert (
        "CONSTRAINT ck_ask_entries_medium CHECK (medium IN ('paper', 'digital', 'hybrid'))" in sql
    )
    assert "AUTOINCREMENT" not in sql and "SERIAL" in sql
