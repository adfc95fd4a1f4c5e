"""The officials' console: officials, logins and sessions, applications with documents,
the Postfach, landlords, enrolments; the office of an offer, the status of a credential,
and the new audit events.

Revision ID: i0002
Revises: i0001
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0002"
down_revision = "i0001"
branch_labels = None
depends_on = None

_OLD_EVENTS = "event IN ('offer_created', 'credential_issued')"
_NEW_EVENTS = (
    "event IN ('offer_created', 'credential_issued', 'credential_suspended', "
    "'credential_reinstated', 'credential_revoked', 'official_registered', "
    "'application_decided', 'citizen_enrolled', 'landlord_registered', 'landlord_confirmed')"
)


def upgrade() -> None:
    """Create the console's tables and extend offers, credentials and the audit log."""
    with op.batch_alter_table("issuer_offers") as batch:
        batch.add_column(sa.Column("office", sa.String(64), nullable=True))
        batch.create_index("ix_issuer_offers_office", ["office"])
    with op.batch_alter_table("issuer_credentials") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="valid"))
        batch.create_check_constraint(
            op.f("ck_issuer_credentials_status"),
            "status IN ('valid', 'suspended', 'revoked')",
        )
    with op.batch_alter_table("issuer_audit_log") as batch:
        batch.drop_constraint(op.f("ck_issuer_audit_log_event"), type_="check")
        batch.create_check_constraint(op.f("ck_issuer_audit_log_event"), _NEW_EVENTS)

    op.create_table(
        "issuer_officials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=False),
        sa.Column("sub", sa.String(128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(160), nullable=False),
        sa.Column("registered_at", sa.Integer(), nullable=False),
        sa.Column("bound_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_officials"),
        sa.UniqueConstraint("sub", name="uq_issuer_officials_sub"),
        sa.CheckConstraint(
            "role IN ('sachbearbeitung', 'leitung')", name=op.f("ck_issuer_officials_role")
        ),
    )
    op.create_index("ix_issuer_officials_office", "issuer_officials", ["office"])
    op.create_table(
        "issuer_logins",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("return_to", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_issuer_logins"),
    )
    op.create_table(
        "issuer_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(128), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_issuer_sessions"),
    )
    op.create_index("ix_issuer_sessions_sub", "issuer_sessions", ["sub"])
    op.create_table(
        "issuer_applications",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("applicant_sub", sa.String(128), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("request_message", sa.Text(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(160), nullable=True),
        sa.Column("offer_id", sa.String(32), nullable=True),
        sa.Column("offer_uri", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_applications"),
        sa.CheckConstraint(
            "state IN ('submitted', 'documents_requested', 'approved', 'issued')",
            name=op.f("ck_issuer_applications_state"),
        ),
    )
    op.create_index("ix_issuer_applications_office", "issuer_applications", ["office"])
    op.create_index(
        "ix_issuer_applications_applicant_sub", "issuer_applications", ["applicant_sub"]
    )
    op.create_table(
        "issuer_documents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_documents"),
    )
    op.create_index("ix_issuer_documents_application_id", "issuer_documents", ["application_id"])
    op.create_table(
        "issuer_messages",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("recipient_sub", sa.String(128), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=True),
        sa.Column("offer_id", sa.String(32), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_messages"),
    )
    op.create_index("ix_issuer_messages_recipient_sub", "issuer_messages", ["recipient_sub"])
    op.create_table(
        "issuer_landlords",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=False),
        sa.Column("sub", sa.String(128), nullable=True),
        sa.Column("landlord", sa.Text(), nullable=False),
        sa.Column("dwelling", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(160), nullable=False),
        sa.Column("registered_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_landlords"),
    )
    op.create_index("ix_issuer_landlords_office", "issuer_landlords", ["office"])
    op.create_index("ix_issuer_landlords_sub", "issuer_landlords", ["sub"])
    op.create_table(
        "issuer_enrolments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("office", sa.String(64), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("evidence", sa.String(64), nullable=False),
        sa.Column("checked_by", sa.String(160), nullable=True),
        sa.Column("enrolled_at", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_enrolments"),
    )


def downgrade() -> None:
    """Drop the console's tables and the added columns (their data is lost)."""
    op.drop_table("issuer_enrolments")
    op.drop_index("ix_issuer_landlords_sub", table_name="issuer_landlords")
    op.drop_index("ix_issuer_landlords_office", table_name="issuer_landlords")
    op.drop_table("issuer_landlords")
    op.drop_index("ix_issuer_messages_recipient_sub", table_name="issuer_messages")
    op.drop_table("issuer_messages")
    op.drop_index("ix_issuer_documents_application_id", table_name="issuer_documents")
    op.drop_table("issuer_documents")
    op.drop_index("ix_issuer_applications_applicant_sub", table_name="issuer_applications")
    op.drop_index("ix_issuer_applications_office", table_name="issuer_applications")
    op.drop_table("issuer_applications")
    op.drop_index("ix_issuer_sessions_sub", table_name="issuer_sessions")
    op.drop_table("issuer_sessions")
    op.drop_table("issuer_logins")
    op.drop_index("ix_issuer_officials_office", table_name="issuer_officials")
    op.drop_table("issuer_officials")
    with op.batch_alter_table("issuer_audit_log") as batch:
        batch.drop_constraint(op.f("ck_issuer_audit_log_event"), type_="check")
        batch.create_check_constraint(op.f("ck_issuer_audit_log_event"), _OLD_EVENTS)
    with op.batch_alter_table("issuer_credentials") as batch:
        batch.drop_constraint(op.f("ck_issuer_credentials_status"), type_="check")
        batch.drop_column("status")
    with op.batch_alter_table("issuer_offers") as batch:
        batch.drop_index("ix_issuer_offers_office")
        batch.drop_column("office")
