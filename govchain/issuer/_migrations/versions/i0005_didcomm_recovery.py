"""DIDComm issuances survive a crash: the ``sending`` state and, on ``issuer_didcomm``,
what recording the credential later needs (offer, status entry, JSON-LD id and SHA-256
of the offered credential, issuance and expiry).

Revision ID: i0005
Revises: i0004
Create Date: 2025-03-08
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "i0005"
down_revision = "i0004"
branch_labels = None
depends_on = None

_STATES = "'invited', 'issuing', 'issued', 'failed'"
_NEW_STATES = "'invited', 'sending', 'issuing', 'issued', 'failed'"
_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("offer_id", sa.String(32)),
    ("status_list_uri", sa.String(200)),
    ("status_index", sa.Integer()),
    ("jsonld_id", sa.String(64)),
    ("credential_sha256", sa.String(64)),
    ("issued_at", sa.Integer()),
    ("valid_until", sa.Integer()),
)


def upgrade() -> None:
    """Add the recovery columns and the ``sending`` state."""
    with op.batch_alter_table("issuer_didcomm") as batch:
        for name, type_ in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.drop_constraint(op.f("ck_issuer_didcomm_state"), type_="check")
        batch.create_check_constraint(op.f("ck_issuer_didcomm_state"), f"state IN ({_NEW_STATES})")


def downgrade() -> None:
    """Drop them again (a row still ``sending`` counts as failed)."""
    op.execute(
        "UPDATE issuer_didcomm SET state = 'failed', error = 'interrupted', "
        "error_de = 'Die Ausstellung wurde unterbrochen.' WHERE state = 'sending'"
    )
    with op.batch_alter_table("issuer_didcomm") as batch:
        batch.drop_constraint(op.f("ck_issuer_didcomm_state"), type_="check")
        batch.create_check_constraint(op.f("ck_issuer_didcomm_state"), f"state IN ({_STATES})")
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
