"""The issuer's tables (SQLAlchemy 2). Alembic migrations in ``_migrations`` create them;
a test checks that the migrations and these models agree.

What is stored, and why (no plaintext secrets, personal data only while needed):

- ``issuer_offers``: the credential type and the claims an official approved, kept only
  until the credential is issued (then erased: ``claims`` set to NULL) or the offer is
  purged after expiry; the pre-authorized code and the tx_code only as SHA-256 hashes.
- ``issuer_access_tokens``, ``issuer_nonces``: SHA-256 hashes of the bearer tokens and
  c_nonces with their expiry and use.
- ``issuer_credentials``: per issued credential its type, status list entry, the holder
  key's RFC 7638 thumbprint, issuance and expiry times: what suspension and revocation
  need, and no claim values.
- ``issuer_audit_log``: the hash-chained, append-only audit log (see ``_audit``).

Times are unix seconds (integers): the clock the service runs on is the chain's in
tests and the demo, and integers compare the same in SQLite and PostgreSQL.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccessTokenRow",
    "AnchorState",
    "AuditEvent",
    "AuditRow",
    "Base",
    "CredentialRow",
    "NonceRow",
    "OfferRow",
    "OfferState",
]


class OfferState(StrEnum):
    """Where an offer stands; the transitions live in ``service.OFFER_TRANSITIONS``."""

    OFFERED = "offered"  # made; the pre-authorized code waits to be redeemed
    REDEEMED = "redeemed"  # the code was exchanged for an access token
    ISSUED = "issued"  # the credential was issued; the claims are erased
    BLOCKED = "blocked"  # too many wrong tx_codes; the code is dead


class AuditEvent(StrEnum):
    """What the audit log records."""

    OFFER_CREATED = "offer_created"
    CREDENTIAL_ISSUED = "credential_issued"


class AnchorState(StrEnum):
    """Whether an audit entry's hash was handed to the anchoring service."""

    QUEUED = "queued"
    SUBMITTED = "submitted"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    """The issuer's own metadata, with constraint names fixed for portable migrations."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class OfferRow(Base):
    """A credential offer with its pre-authorized code (hashed)."""

    __tablename__ = "issuer_offers"
    __table_args__ = (CheckConstraint(_one_of("state", OfferState), name="state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    configuration_id: Mapped[str] = mapped_column(String(64))
    vct: Mapped[str] = mapped_column(String(200))
    claims: Mapped[str | None] = mapped_column(Text, nullable=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tx_code_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tx_code_mode: Mapped[str | None] = mapped_column(String(8), nullable=True)
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer)
    redeemed_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AccessTokenRow(Base):
    """An access token (hashed) bound to one offer."""

    __tablename__ = "issuer_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(32), index=True)
    expires_at: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class NonceRow(Base):
    """A c_nonce (hashed), single use."""

    __tablename__ = "issuer_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CredentialRow(Base):
    """An issued credential: type, status entry, holder key thumbprint; no claims."""

    __tablename__ = "issuer_credentials"
    __table_args__ = (UniqueConstraint("status_list_uri", "status_index"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(32), index=True)
    vct: Mapped[str] = mapped_column(String(200))
    status_list_uri: Mapped[str] = mapped_column(String(200))
    status_index: Mapped[int] = mapped_column(Integer)
    holder_thumbprint: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AuditRow(Base):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "issuer_audit_log"
    __table_args__ = (
        CheckConstraint(_one_of("event", AuditEvent), name="event"),
        CheckConstraint(_one_of("anchor_state", AnchorState), name="anchor_state"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    anchor_state: Mapped[str] = mapped_column(String(16), index=True)
    receipt_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
