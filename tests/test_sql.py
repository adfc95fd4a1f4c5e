"""govchain._sql: SQLite engines as the services open them."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from govchain._sql import WriteLock, open_engine


def test_opening_waits_while_another_process_holds_the_new_file(tmp_path: Path) -> None:
    """Two workers starting on a brand-new file: while one still writes in the old journal
    mode, SQLite refuses the other's switch to WAL at once ("database is locked", no busy
    timeout); the engine waits for it instead of failing the worker's start."""
    database = tmp_path / "service.sqlite3"
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE started (worker INTEGER)")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    engine = open_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            mode = connection.execute(text("PRAGMA journal_mode")).scalar_one()
            connection.execute(text("INSERT INTO started VALUES (2)"))
    finally:
        engine.dispose()
        release.join()
        other.close()

    assert mode == "wal"
    check = sqlite3.connect(database)
    assert check.execute("SELECT worker FROM started").fetchall() == [(2,)]
    check.close()


def _count_under_lock(lock: WriteLock, counter: str, times: int) -> None:
    for _ in range(times):
        with lock:  # a read-modify-write that loses updates unless the lock excludes
            value = int(Path(counter).read_text())
            time.sleep(0.0005)
            Path(counter).write_text(str(value + 1))


def test_the_write_lock_excludes_other_processes_and_forked_children(tmp_path: Path) -> None:
    database = str(tmp_path / "service.sqlite3")
    counter = tmp_path / "counter"
    counter.write_text("0")
    lock = WriteLock(f"sqlite:///{database}")
    with lock:  # its descriptor is open before the fork, as in a forking server
        pass
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_count_under_lock, args=(lock, str(counter), 150)) for _ in range(3)
    ]
    for w in workers:
        w.start()
    _count_under_lock(lock, str(counter), 150)
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    assert int(counter.read_text()) == 600
    assert (tmp_path / "service.sqlite3.write-lock").exists()


def test_the_write_lock_of_postgresql_needs_no_file(tmp_path: Path) -> None:
    lock = WriteLock("postgresql+psycopg://nobody@/db")
    with lock:
        assert list(tmp_path.iterdir()) == []
