"""The catalogue's entries and their history.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``ask_entries`` and ``ask_entry_events``."""
    op.create_table(
        "ask_entries",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("file_plan_number", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("org_unit", sa.String(200), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("medium", sa.String(16), nullable=False),
        sa.Column("volume_milli", sa.BigInteger(), nullable=False),
        sa.Column("volume_unit", sa.String(16), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=True),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("retention_trigger", sa.String(16), nullable=False),
        sa.Column("legal_basis", sa.String(500), nullable=False),
        sa.Column("protection_period_years", sa.Integer(), nullable=True),
        sa.Column("archival_value", sa.String(16), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("contact_phone", sa.String(50), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(128), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ask_entries"),
        sa.UniqueConstraint(
            "tenant_id", "file_plan_number", name="uq_ask_entries_tenant_id_file_plan_number"
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'reviewed')", name=op.f("ck_ask_entries_state")
        ),
        sa.CheckConstraint(
            "record_type IN ('case_file', 'subject_file', 'personnel_file', 'register', 'other')",
            name=op.f("ck_ask_entries_record_type"),
        ),
        sa.CheckConstraint(
            "medium IN ('paper', 'digital', 'hybrid')", name=op.f("ck_ask_entries_medium")
        ),
        sa.CheckConstraint(
            "volume_unit IN ('lfm', 'gb', 'files')", name=op.f("ck_ask_entries_volume_unit")
        ),
        sa.CheckConstraint(
            "retention_trigger IN ('closing', 'event')",
            name=op.f("ck_ask_entries_retention_trigger"),
        ),
        sa.CheckConstraint(
            "archival_value IN ('yes', 'no', 'partial', 'pending')",
            name=op.f("ck_ask_entries_archival_value"),
        ),
        sa.CheckConstraint("volume_milli >= 0", name=op.f("ck_ask_entries_volume_not_negative")),
        sa.CheckConstraint(
            "retention_years BETWEEN 0 AND 120", name=op.f("ck_ask_entries_retention_range")
        ),
    )
    op.create_index("ix_ask_entries_tenant_state", "ask_entries", ["tenant_id", "state"])
    op.create_table(
        "ask_entry_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ask_entry_events"),
    )
    op.create_index(
        "ix_ask_entry_events_tenant_entry", "ask_entry_events", ["tenant_id", "entry_id"]
    )


def downgrade() -> None:
    """Drop both tables (the catalogue is lost)."""
    op.drop_index("ix_ask_entry_events_tenant_entry", table_name="ask_entry_events")
    op.drop_table("ask_entry_events")
    op.drop_index("ix_ask_entries_tenant_state", table_name="ask_entries")
    op.drop_table("ask_entries")
