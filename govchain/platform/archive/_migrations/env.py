"""Alembic environment of the archive: runs on the connection ``open_database`` hands in,
keeping its revision in its own version table beside other services' tables."""

from __future__ import annotations

from alembic import context

from govchain.platform.archive._db import VERSION_TABLE, Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
