"""The issuer's database: engine set-up and the migrations applied at start.

On SQLite every transaction begins ``IMMEDIATE`` (it takes the write lock at once), so
that the single-use steps (redeeming a code, consuming a nonce or a token, appending to
the hash-chained audit log) are serialised also between the server and the CLI.
"""

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
    "open_read_engine",
]

VERSION_TABLE = "alembic_version_issuer"
MIGRATIONS = Migrations(Path(__file__).parent / "_migrations", VERSION_TABLE, "issuer")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the issuer's migrations, without an ini file."""
    return MIGRATIONS.config(url)


def open_engine(url: str) -> Engine:
    """An engine for ``url`` with immediate transactions (see the module docstring)."""
    return _open_engine(url, immediate_transactions=True)


def open_read_engine(url: str) -> Engine:
    """An engine for reads only: ordinary (deferred) transactions, which on SQLite in WAL
    mode read the last commit without waiting for, or holding up, the writer."""
    return _open_engine(url)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; one transaction)."""
    MIGRATIONS.migrate(engine)


def head_revision() -> str | None:
    """The newest revision among the shipped migrations."""
    return MIGRATIONS.head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, read from ``alembic_version_issuer``."""
    return MIGRATIONS.current(engine)
