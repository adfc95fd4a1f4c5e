"""A real PostgreSQL server for the tests, started and stopped by the tests themselves.

One server per pytest process (so one per xdist worker: no sharing, no locking between
workers), started on first use: ``initdb`` into a fresh temporary directory, then
``postgres`` listening only on a Unix socket in that directory (no TCP port to collide
on). PostgreSQL refuses to run as root, so as root both run as the unprivileged user
``nobody``, which owns the directory. Each test module gets its own database
(``postgres_url``), dropped at the end; the server gets a fast shutdown at the end of
the session, whether the tests passed or not, and Linux's parent-death signal stops it
even when pytest itself is killed.

The server is a test server: ``fsync`` and synchronous commits are off (nothing here
tests durability on power loss; the SQL, the locking and the transactions are real).

When PostgreSQL cannot be found the fixtures fail with a message that says what to
install; they never skip (CI's bootstrap installs Debian's ``postgresql`` package).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import psycopg
import pytest
from psycopg import sql

from govchain._process import die_with_parent

__all__ = [
    "PostgresServer",
    "PostgresUnavailableError",
    "find_binaries",
    "postgres",
    "postgres_url",
]

UNPRIVILEGED_USER = "nobody"
_TOOLS = ("initdb", "postgres")


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL's server programs are missing or the server did not start."""


def _version(directory: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,): the newest installed version first
    return tuple(int(n) for n in re.findall(r"\d+", directory.parent.name)) or (0,)


def find_binaries() -> Path:
    """The directory holding ``initdb`` and ``postgres``: from ``PATH`` (links resolved),
    else Debian's ``/usr/lib/postgresql/<version>/bin``, newest version first."""
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found is not None:
        candidates.append(Path(found).resolve().parent)
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True))
    for directory in candidates:
        if all(os.access(directory / tool, os.X_OK) for tool in _TOOLS):
            return directory
    raise PostgresUnavailableError(
        "PostgreSQL is not installed: initdb and postgres were found neither on PATH nor "
        "in /usr/lib/postgresql/*/bin. Install Debian's package (apt-get install "
        "postgresql; `make bootstrap` does it when run as root)."
    )


class PostgresServer:
    """A throw-away PostgreSQL cluster on a Unix socket; ``start()`` then ``stop()``."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.base = Path(tempfile.mkdtemp(prefix="govchain-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base / "socket"
        self.log_path = self.base / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None
        # As root, the cluster belongs to an unprivileged user (PostgreSQL refuses root).
        self._owner = pwd.getpwnam(UNPRIVILEGED_USER) if os.geteuid() == 0 else None
        self._owned(self.base)

    def _owned(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, exist_ok=True)
        if self._owner is not None:
            os.chown(directory, self._owner.pw_uid, self._owner.pw_gid)

    def _run_as_owner(
        self, args: list[str], *, stdout: int | IO[bytes], preexec_fn: Callable[[], None] | None
    ) -> subprocess.Popen[bytes]:
        owner = self._owner
        return subprocess.Popen(
            args,
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            user=None if owner is None else owner.pw_uid,
            group=None if owner is None else owner.pw_gid,
            extra_groups=None if owner is None else [],
            preexec_fn=preexec_fn,  # noqa: PLW1509 - prctl only, no locks taken
        )

    def start(self, timeout: float = 60) -> None:
        """Create the cluster and start the server; returns once it accepts connections."""
        initdb = self._run_as_owner(
            [
                str(self.binaries / "initdb"),
                f"--pgdata={self.data}",
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            stdout=subprocess.PIPE,
            preexec_fn=None,
        )
        output, _ = initdb.communicate(timeout=timeout)
        if initdb.returncode != 0:
            raise PostgresUnavailableError(
                f"initdb failed ({initdb.returncode}): {output.decode(errors='replace')[-2000:]}"
            )
        self._owned(self.socket_dir)
        with self.log_path.open("wb") as log:
            self.process = self._run_as_owner(
                [
                    str(self.binaries / "postgres"),
                    "-D",
                    str(self.data),
                    "-k",
                    str(self.socket_dir),
                    "-c",
                    "listen_addresses=",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "shared_buffers=32MB",
                    "-c",
                    "max_connections=60",
                ],
                stdout=log,
                preexec_fn=die_with_parent,  # from the main thread, which outlives it
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise PostgresUnavailableError(
                    f"postgres exited with {self.process.returncode}: {self.log_tail()}"
                )
            try:
                with self.admin():
                    return
            except psycopg.OperationalError as err:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresUnavailableError(
                        f"postgres did not accept connections within {timeout:.0f} s: "
                        f"{err}; {self.log_tail()}"
                    ) from err
                time.sleep(0.05)

    def log_tail(self) -> str:
        """The end of the server's log, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """A connection to the ``postgres`` database, autocommit (for CREATE DATABASE)."""
        return psycopg.connect(
            host=str(self.socket_dir),
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3, Unix socket)."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        """A new, empty database; returns its name."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        with self.admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending whatever connections still use it."""
        with self.admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (clients disconnected, open transactions rolled back), then the
        directory is removed. Idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()  # postgres' children notice the postmaster's death and exit
                process.wait(timeout=timeout)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """This pytest process's PostgreSQL server (started on first use)."""
    try:
        server = PostgresServer(find_binaries())
    except PostgresUnavailableError as err:
        pytest.fail(str(err), pytrace=False)
    try:
        server.start()
    except PostgresUnavailableError as err:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {err}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A fresh database for one test module, dropped afterwards: its SQLAlchemy URL."""
    name = postgres.create_database()
    try:
        yield postgres.url(name)
    finally:
        postgres.drop_database(name)
