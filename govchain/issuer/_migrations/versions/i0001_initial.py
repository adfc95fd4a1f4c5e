"""Offers, access tokens, nonces, issued credentials and the audit log.

Revision ID: i0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the issuer's five tables."""
    op.create_table(
        "issuer_offers",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("configuration_id", sa.String(64), nullable=False),
        sa.Column("vct", sa.String(200), nullable=False),
        sa.Column("claims", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("tx_code_hash", sa.String(64), nullable=True),
        sa.Column("tx_code_length", sa.Integer(), nullable=True),
        sa.Column("tx_code_mode", sa.String(8), nullable=True),
        sa.Column("tx_code_failures", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("redeemed_at", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_offers"),
        sa.UniqueConstraint("code_hash", name="uq_issuer_offers_code_hash"),
        sa.CheckConstraint(
            "state IN ('offered', 'redeemed', 'issued', 'blocked')",
            name=op.f("ck_issuer_offers_state"),
        ),
    )
    op.create_table(
        "issuer_access_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("offer_id", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_issuer_access_tokens"),
    )
    op.create_index("ix_issuer_access_tokens_offer_id", "issuer_access_tokens", ["offer_id"])
    op.create_table(
        "issuer_nonces",
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("nonce_hash", name="pk_issuer_nonces"),
    )
    op.create_table(
        "issuer_credentials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("offer_id", sa.String(32), nullable=False),
        sa.Column("vct", sa.String(200), nullable=False),
        sa.Column("status_list_uri", sa.String(200), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("holder_thumbprint", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_credentials"),
        sa.UniqueConstraint(
            "status_list_uri",
            "status_index",
            name="uq_issuer_credentials_status_list_uri_status_index",
        ),
    )
    op.create_index("ix_issuer_credentials_offer_id", "issuer_credentials", ["offer_id"])
    op.create_table(
        "issuer_audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("anchor_state", sa.String(16), nullable=False),
        sa.Column("receipt_id", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_issuer_audit_log"),
        sa.UniqueConstraint("entry_hash", name="uq_issuer_audit_log_entry_hash"),
        sa.CheckConstraint(
            "event IN ('offer_created', 'credential_issued')",
            name=op.f("ck_issuer_audit_log_event"),
        ),
        sa.CheckConstraint(
            "anchor_state IN ('queued', 'submitted')",
            name=op.f("ck_issuer_audit_log_anchor_state"),
        ),
    )
    op.create_index("ix_issuer_audit_log_anchor_state", "issuer_audit_log", ["anchor_state"])


def downgrade() -> None:
    """Drop every table (offers, credentials' records and the audit log are lost)."""
    op.drop_index("ix_issuer_audit_log_anchor_state", table_name="issuer_audit_log")
    op.drop_table("issuer_audit_log")
    op.drop_index("ix_issuer_credentials_offer_id", table_name="issuer_credentials")
    op.drop_table("issuer_credentials")
    op.drop_table("issuer_nonces")
    op.drop_index("ix_issuer_access_tokens_offer_id", table_name="issuer_access_tokens")
    op.drop_table("issuer_access_tokens")
    op.drop_table("issuer_offers")
