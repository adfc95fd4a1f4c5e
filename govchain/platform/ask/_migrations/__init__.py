"""Alembic migrations of the ASK catalogue (own version table ``alembic_version_ask``)."""
