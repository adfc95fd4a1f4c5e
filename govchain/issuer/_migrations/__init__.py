"""Alembic migrations of the issuer (own version table ``alembic_version_issuer``)."""
