"""Security review: the login level of applications and Postfach messages, the
application an offer belongs to, one-time activation codes for officials and landlords,
the browser binding and client of a pending login, and the rate-limit events.

Revision ID: i0004
Revises: i0003
Create Date: 2025-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0004"
down_revision = "i0003"
branch_labels = None
depends_on = None

_ACTIVATION = ("issuer_officials", "issuer_landlords")


def upgrade() -> None:
    """Add the columns and the rate-limit table (earlier rows count as substanziell)."""
    for table in ("issuer_applications", "issuer_messages"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("level", sa.Integer(), nullable=False, server_default="2"))
    with op.batch_alter_table("issuer_offers") as batch:
        batch.add_column(sa.Column("application_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("batch_size", sa.Integer(), nullable=True))
        batch.create_index("ix_issuer_offers_application_id", ["application_id"])
    for table in _ACTIVATION:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("activation_hash", sa.String(64), nullable=True))
            batch.add_column(sa.Column("activation_expires_at", sa.Integer(), nullable=True))
            batch.add_column(
                sa.Column("activation_failures", sa.Integer(), nullable=False, server_default="0")
            )
    with op.batch_alter_table("issuer_logins") as batch:
        batch.add_column(
            sa.Column("binding_hash", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("client", sa.String(64), nullable=False, server_default=""))
        batch.create_index("ix_issuer_logins_client", ["client"])
    op.create_table(
        "issuer_rate_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(80), nullable=False),
        sa.Column("at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_rate_events"),
    )
    op.create_index("ix_issuer_rate_events_bucket", "issuer_rate_events", ["bucket"])
    op.create_index("ix_issuer_rate_events_at", "issuer_rate_events", ["at"])


def downgrade() -> None:
    """Drop the rate-limit table and the added columns."""
    op.drop_index("ix_issuer_rate_events_at", table_name="issuer_rate_events")
    op.drop_index("ix_issuer_rate_events_bucket", table_name="issuer_rate_events")
    op.drop_table("issuer_rate_events")
    with op.batch_alter_table("issuer_logins") as batch:
        batch.drop_index("ix_issuer_logins_client")
        batch.drop_column("client")
        batch.drop_column("binding_hash")
    for table in _ACTIVATION:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("activation_failures")
            batch.drop_column("activation_expires_at")
            batch.drop_column("activation_hash")
    with op.batch_alter_table("issuer_offers") as batch:
        batch.drop_index("ix_issuer_offers_application_id")
        batch.drop_column("batch_size")
        batch.drop_column("application_id")
    for table in ("issuer_applications", "issuer_messages"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("level")
