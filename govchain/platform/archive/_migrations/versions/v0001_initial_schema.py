"""The archive's initial schema: AIPs, their files, preservation events, time stamps,
retired hash algorithms.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "aips",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("office", sa.Text(), nullable=False),
        sa.Column("file_plan_number", sa.Text(), nullable=False),
        sa.Column("retention_end", sa.Date(), nullable=False),
        sa.Column("protection_end", sa.Date(), nullable=False),
        sa.Column("external_identifier", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source_organization", sa.Text(), nullable=True),
        sa.Column("payload_files", sa.Integer(), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.Column("head_version", sa.Integer(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("next_fixity_check_at", sa.DateTime(), nullable=False),
        sa.Column("last_fixity_check_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_aips_next_fixity_check_at", "aips", ["next_fixity_check_at"])
    op.create_index("ix_aips_state", "aips", ["state"])
    op.create_table(
        "retired_algorithms",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("successor", sa.String(length=16), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "aip_files",
        sa.Column("aip_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sha512", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["aip_id"], ["aips.id"]),
        sa.PrimaryKeyConstraint("aip_id", "version", "path"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("aip_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detail_de", sa.Text(), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["aip_id"], ["aips.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identifier"),
    )
    op.create_index("ix_events_aip_id", "events", ["aip_id"])
    op.create_table(
        "time_stamps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("aip_id", sa.String(length=64), nullable=False),
        sa.Column("chain_index", sa.Integer(), nullable=False),
        sa.Column("stamp_index", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("reduced_hashtree", sa.Text(), nullable=True),
        sa.Column("root", sa.String(length=128), nullable=False),
        sa.Column("receipt_id", sa.Text(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("anchored_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["aip_id"], ["aips.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("aip_id", "chain_index", "stamp_index"),
    )
    op.create_index("ix_time_stamps_aip_id", "time_stamps", ["aip_id"])


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("time_stamps")
    op.drop_table("events")
    op.drop_table("aip_files")
    op.drop_table("retired_algorithms")
    op.drop_table("aips")
