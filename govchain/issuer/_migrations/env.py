"""Alembic environment of the issuer; the body is ``govchain._sql.run_alembic_env``."""

from __future__ import annotations

from alembic import context

from govchain._sql import run_alembic_env
from govchain.issuer._models import Base

run_alembic_env(context, Base.metadata, "alembic_version_issuer")
