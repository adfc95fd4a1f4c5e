"""Alembic environment of the archive: runs on the connection ``open_database`` hands in,
keeping its revision in its own version table beside other services' tables; the body
is ``govchain._sql.run_alembic_env``."""

from __future__ import annotations

from alembic import context

from govchain._sql import run_alembic_env
from govchain.platform.archive._db import VERSION_TABLE, Base

run_alembic_env(context, Base.metadata, VERSION_TABLE)
