"""DIDComm issuance, rejection and deactivation: the ``issuer_didcomm`` table (one row
per out-of-band invitation to a citizen's Aries wallet), the channel a credential was
issued by, the ``withdrawn`` offer state, the ``rejected`` application state and the
``official_deactivated`` audit event.

Revision ID: i0003
Revises: i0002
Create Date: 2025-02-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i0003"
down_revision = "i0002"
branch_labels = None
depends_on = None

_EVENTS = (
    "'offer_created', 'credential_issued', 'credential_suspended', "
    "'credential_reinstated', 'credential_revoked', 'official_registered', "
    "'application_decided', 'citizen_enrolled', 'landlord_registered', 'landlord_confirmed'"
)
_OFFER_STATES = "'offered', 'redeemed', 'issued', 'blocked'"
_APPLICATION_STATES = "'submitted', 'documents_requested', 'approved', 'issued'"


def _replace_check(table: str, name: str, condition: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(name), type_="check")
        batch.create_check_constraint(op.f(name), condition)


def upgrade() -> None:
    """Add the DIDComm table, the credential's channel and the new states and event."""
    _replace_check(
        "issuer_offers", "ck_issuer_offers_state", f"state IN ({_OFFER_STATES}, 'withdrawn')"
    )
    _replace_check(
        "issuer_applications",
        "ck_issuer_applications_state",
        f"state IN ({_APPLICATION_STATES}, 'rejected')",
    )
    _replace_check(
        "issuer_audit_log",
        "ck_issuer_audit_log_event",
        f"event IN ({_EVENTS}, 'official_deactivated')",
    )
    with op.batch_alter_table("issuer_credentials") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="oid4vci")
        )
        batch.create_check_constraint(
            op.f("ck_issuer_credentials_channel"), "channel IN ('oid4vci', 'didcomm')"
        )
    op.create_table(
        "issuer_didcomm",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("invitation_msg_id", sa.String(64), nullable=False),
        sa.Column("invitation_url", sa.Text(), nullable=False),
        sa.Column("holder_did", sa.String(200), nullable=False),
        sa.Column("connection_id", sa.String(64), nullable=True),
        sa.Column("cred_ex_id", sa.String(64), nullable=True),
        sa.Column("credential_id", sa.String(32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_de", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_didcomm"),
        sa.UniqueConstraint("invitation_msg_id", name="uq_issuer_didcomm_invitation_msg_id"),
        sa.CheckConstraint(
            "state IN ('invited', 'issuing', 'issued', 'failed')",
            name=op.f("ck_issuer_didcomm_state"),
        ),
    )
    op.create_index("ix_issuer_didcomm_application_id", "issuer_didcomm", ["application_id"])
    op.create_index("ix_issuer_didcomm_state", "issuer_didcomm", ["state"])


def downgrade() -> None:
    """Drop the DIDComm table and the channel; the new states and event go again."""
    op.drop_index("ix_issuer_didcomm_state", table_name="issuer_didcomm")
    op.drop_index("ix_issuer_didcomm_application_id", table_name="issuer_didcomm")
    op.drop_table("issuer_didcomm")
    with op.batch_alter_table("issuer_credentials") as batch:
        batch.drop_constraint(op.f("ck_issuer_credentials_channel"), type_="check")
        batch.drop_column("channel")
    _replace_check("issuer_audit_log", "ck_issuer_audit_log_event", f"event IN ({_EVENTS})")
    _replace_check(
        "issuer_applications", "ck_issuer_applications_state", f"state IN ({_APPLICATION_STATES})"
    )
    _replace_check("issuer_offers", "ck_issuer_offers_state", f"state IN ({_OFFER_STATES})")
