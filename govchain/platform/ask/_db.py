"""The ASK's database: engine set-up and the migrations applied at start."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from govchain._sql import Migrations
from govchain._sql import open_engine as _open_engine

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "head_revision",
    "migrate",
    "open_engine",
]

VERSION_TABLE = "alembic_version_ask"
MIGRATIONS = Migrations(Path(__file__).parent / "_migrations", VERSION_TABLE, "ASK catalogue")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the ASK's migrations, without an ini file."""
    return MIGRATIONS.config(url)


def open_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite, the directory is created and WAL switched on."""
    return _open_engine(url)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; one transaction)."""
    MIGRATIONS.migrate(engine)


def head_revision() -> str | None:
    """The newest revision among the shipped migrations."""
    return MIGRATIONS.head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, read from ``alembic_version_ask``."""
    return MIGRATIONS.current(engine)
