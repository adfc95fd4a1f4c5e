"""Alembic environment of the issuer: run by ``govchain.issuer._db.migrate``.

Online, the caller hands over an open connection (``config.attributes["connection"]``);
offline (``--sql``), the SQL for ``sqlalchemy.url``'s dialect is printed.
"""

from __future__ import annotations

from alembic import context

from govchain.issuer._models import Base

VERSION_TABLE = "alembic_version_issuer"

config = context.config


def _run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
