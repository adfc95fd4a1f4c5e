"""SQL databases of the services: engines with the SQLite settings govchain relies on,
and each service's own Alembic migrations (own folder, own version table), applied at
start without an ini file.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["Migrations", "WriteLock", "open_engine", "run_alembic_env"]

log = logging.getLogger(__name__)

_PG_WRITE_LOCK = 0x676F76636861696E  # "govchain": the advisory lock key of serialised engines


def open_engine(url: str, *, immediate_transactions: bool = False) -> Engine:
    """An engine for ``url``. For SQLite: the folder is created, WAL and fully synchronous
    commits (nothing acknowledged is lost on a crash), foreign keys enforced; with
    ``immediate_transactions`` every transaction takes the write lock at once, which
    serialises single-use steps also between processes.

    On PostgreSQL, ``immediate_transactions`` gives the same guarantee with a
    transaction-scoped advisory lock taken first in every transaction (one lock per
    database, released at commit or rollback): read-check-write steps such as redeeming
    a code or appending to a hash chain cannot interleave, whichever process runs them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        if immediate_transactions and parsed.get_backend_name() == "postgresql":

            @event.listens_for(engine, "begin")
            def _serialise(connection: Connection) -> None:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})")

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: object) -> None:
        if immediate_transactions:
            dbapi_connection.isolation_level = None  # BEGIN is issued below
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if immediate_transactions:

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class WriteLock:
    """Serialises a service's write transactions across its threads and, for a SQLite
    file, across its worker processes on this machine.

    SQLite lets one writer in at a time and makes the others wait in its busy handler,
    which sleeps in growing steps (up to 100 ms a try), so under load a write can sleep
    long after the file is free again. Here waiters queue on an exclusive ``flock`` of
    a file beside the database instead, and the kernel wakes the next one the moment the
    lock is released. (PostgreSQL needs no file: ``open_engine`` takes an advisory lock
    in each transaction; the thread lock still keeps one process's writers in line.)
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        database = parsed.database
        self._path: Path | None = None
        if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
            self._path = Path(f"{database}.write-lock")
        self._thread = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # one descriptor per process: a descriptor inherited across fork() would share
        # its lock with the parent and exclude nothing
        if self._fd is None or self._pid != os.getpid():
            assert self._path is not None
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> None:
        self._thread.acquire()
        if self._path is None:
            return
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._thread.release()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._path is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread.release()


_WAL_SWITCH_SECONDS = 30.0


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database into WAL mode. Switching needs a moment alone with the file, and
    SQLite answers "database is locked" at once (without its busy timeout) when another
    process switches or writes at the same time, as several workers starting on a
    brand-new file do; so wait for them, a little longer each time."""
    deadline = time.monotonic() + _WAL_SWITCH_SECONDS
    pause = 0.005
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


class Migrations:
    """One service's Alembic migrations: their folder and their own version table."""

    def __init__(self, directory: Path, version_table: str, label: str) -> None:
        self.directory = directory
        self.version_table = version_table
        self.label = label

    def config(self, url: str | None = None) -> Config:
        """An Alembic configuration for these migrations."""
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        if url is not None:
            config.set_main_option("sqlalchemy.url", url)
        return config

    def migrate(self, engine: Engine) -> None:
        """Bring the schema to the newest revision (idempotent; one transaction)."""
        config = self.config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        log.info("%s schema at revision %s", self.label, self.head())

    def head(self) -> str | None:
        """The newest shipped revision."""
        return ScriptDirectory.from_config(self.config()).get_current_head()

    def current(self, engine: Engine) -> str | None:
        """The revision the database is at."""
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": self.version_table}
            )
            return context.get_current_revision()


def run_alembic_env(context: Any, metadata: MetaData, version_table: str) -> None:
    """The body of a service's ``env.py``: online with the connection the caller handed
    over (``config.attributes["connection"]``), offline (``--sql``) printing the SQL for
    ``sqlalchemy.url``'s dialect (how PostgreSQL DDL is checked without a server).

    ``context`` is the ``alembic.context`` module proxy, which typing knows only as a
    module; it behaves as an ``EnvironmentContext``.
    """
    assert isinstance(context.config, Config)
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            version_table=version_table,
            literal_binds=True,
        )
    else:
        connection = config.attributes["connection"]
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
        )
    with context.begin_transaction():
        context.run_migrations()
