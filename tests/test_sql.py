"""govchain._sql: SQLite engines as the services open them."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from govchain._sql import open_engine


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
