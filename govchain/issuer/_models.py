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
- The console's tables (``console.py``): ``issuer_officials`` (who may act for which
  office, bound to a BürgerID pairwise ``sub``), ``issuer_logins`` and ``issuer_sessions``
  (OIDC logins in progress, sessions: hashed ids), ``issuer_applications`` with their
  ``issuer_documents`` (name, size, SHA-256; the bytes on disk), ``issuer_messages`` (the
  citizen's Postfach), ``issuer_landlords`` (landlords registered per dwelling) and
  ``issuer_enrolments`` (BürgerID enrolment method and time, no personal data).
- ``issuer_didcomm`` (``i0003``): DIDComm issuances to citizens' Aries wallets: the
  invitation, the holder's did:key, the agent's connection and exchange ids, the error.

Times are unix seconds (integers): the clock the service runs on is the chain's in
tests and the demo, and integers compare the same in SQLite and PostgreSQL.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AccessTokenRow",
    "AnchorState",
    "ApplicationRow",
    "ApplicationState",
    "AuditEvent",
    "AuditRow",
    "Base",
    "CredentialChannel",
    "CredentialRow",
    "CredentialState",
    "DidcommRow",
    "DidcommState",
    "DocumentRow",
    "EnrolmentRow",
    "LandlordRow",
    "LoginRow",
    "MessageRow",
    "NonceRow",
    "OfferRow",
    "OfferState",
    "OfficialRole",
    "OfficialRow",
    "RateEventRow",
    "SessionRow",
]


class OfferState(StrEnum):
    """Where an offer stands; the transitions live in ``service.OFFER_TRANSITIONS``."""

    OFFERED = "offered"  # made; the pre-authorized code waits to be redeemed
    REDEEMED = "redeemed"  # the code was exchanged for an access token
    ISSUED = "issued"  # the credential was issued; the claims are erased
    BLOCKED = "blocked"  # too many wrong tx_codes; the code is dead
    WITHDRAWN = "withdrawn"  # the credential went by DIDComm instead; the code is dead


class AuditEvent(StrEnum):
    """What the audit log records."""

    OFFER_CREATED = "offer_created"
    CREDENTIAL_ISSUED = "credential_issued"
    CREDENTIAL_SUSPENDED = "credential_suspended"
    CREDENTIAL_REINSTATED = "credential_reinstated"
    CREDENTIAL_REVOKED = "credential_revoked"
    OFFICIAL_REGISTERED = "official_registered"
    APPLICATION_DECIDED = "application_decided"
    CITIZEN_ENROLLED = "citizen_enrolled"
    LANDLORD_REGISTERED = "landlord_registered"
    LANDLORD_CONFIRMED = "landlord_confirmed"
    OFFICIAL_DEACTIVATED = "official_deactivated"


class CredentialState(StrEnum):
    """An issued credential's status as the issuer last wrote it on chain."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"  # final


class OfficialRole(StrEnum):
    """What an official may do in their office (see docs/issuer.md)."""

    SACHBEARBEITUNG = "sachbearbeitung"  # review, ask for documents, approve, enrol, landlords
    LEITUNG = "leitung"  # all of that, and suspend, reinstate, revoke


class ApplicationState(StrEnum):
    """Where a citizen's application stands; transitions in ``console.APPLICATION_TRANSITIONS``."""

    SUBMITTED = "submitted"
    DOCUMENTS_REQUESTED = "documents_requested"
    APPROVED = "approved"
    ISSUED = "issued"
    REJECTED = "rejected"  # final; the reason is in ``decision`` and the Postfach


class CredentialChannel(StrEnum):
    """How a credential reached the wallet."""

    OID4VCI = "oid4vci"  # SD-JWT VC over OID4VCI
    DIDCOMM = "didcomm"  # VCDM 2.0 JSON-LD over DIDComm issue-credential 2.0 (ACA-Py)


class DidcommState(StrEnum):
    """Where a DIDComm issuance stands; transitions in ``console.DIDCOMM_TRANSITIONS``."""

    INVITED = "invited"  # the invitation waits for the citizen's Aries wallet
    SENDING = "sending"  # connected; status entry and credential stored, offer being sent
    ISSUING = "issuing"  # the agent has the offer (``cred_ex_id``); waiting for the wallet
    ISSUED = "issued"  # the issuer agent signed and sent it; the credential row exists
    FAILED = "failed"  # agent down, refused, timed out or lapsed; ``error_de`` says why


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
    office: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    redeemed_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the console application the offer was made for (one permit, one credential)
    application_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # at most this many credentials (key proofs) per request; None: the issuer's setting
    batch_size: Mapped[int | None] = mapped_column(Integer, nullable=True)


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
    __table_args__ = (
        UniqueConstraint("status_list_uri", "status_index"),
        CheckConstraint(_one_of("status", CredentialState), name="status"),
        CheckConstraint(_one_of("channel", CredentialChannel), name="channel"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(32), index=True)
    vct: Mapped[str] = mapped_column(String(200))
    status_list_uri: Mapped[str] = mapped_column(String(200))
    status_index: Mapped[int] = mapped_column(Integer)
    holder_thumbprint: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(
        String(16), default=CredentialState.VALID.value, server_default=CredentialState.VALID.value
    )
    channel: Mapped[str] = mapped_column(
        String(16),
        default=CredentialChannel.OID4VCI.value,
        server_default=CredentialChannel.OID4VCI.value,
    )


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


class OfficialRow(Base):
    """An official of one office with a role, registered by name and birth date and
    bound to the pairwise BürgerID ``sub`` at the first login."""

    __tablename__ = "issuer_officials"
    __table_args__ = (CheckConstraint(_one_of("role", OfficialRole), name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    office: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[str] = mapped_column(String(10))
    sub: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    active: Mapped[bool] = mapped_column(Boolean)
    registered_by: Mapped[str] = mapped_column(String(160))
    registered_at: Mapped[int] = mapped_column(Integer)
    bound_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # one-time activation code (hashed) the first login enters to bind the row to its sub
    activation_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    activation_expires_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    activation_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginRow(Base):
    """An OIDC login in progress: state (hashed), nonce and PKCE verifier."""

    __tablename__ = "issuer_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[int] = mapped_column(Integer)
    # hash of the pre-login cookie of the browser that began the login (login CSRF)
    binding_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # the client address that began it (pending logins are capped per client)
    client: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)


class SessionRow(Base):
    """A logged-in person (hashed session id): the BürgerID login's sub, level, name."""

    __tablename__ = "issuer_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(128), index=True)
    level: Mapped[int] = mapped_column(Integer)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer)


class ApplicationRow(Base):
    """A citizen's application for a permit, reviewed by the office it is addressed to."""

    __tablename__ = "issuer_applications"
    __table_args__ = (CheckConstraint(_one_of("state", ApplicationState), name="state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    office: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(24))
    applicant_sub: Mapped[str] = mapped_column(String(128), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[str] = mapped_column(String(10))
    form: Mapped[str] = mapped_column(Text)
    request_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    offer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    offer_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[int] = mapped_column(Integer)
    # the login level that created it: served only to a login of at least this level
    level: Mapped[int] = mapped_column(Integer, default=2, server_default="2")


class DocumentRow(Base):
    """A document a citizen uploaded to an application (the bytes are on disk)."""

    __tablename__ = "issuer_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[int] = mapped_column(Integer)


class MessageRow(Base):
    """A message in a person's Postfach (e.g. the transaction code of an offer)."""

    __tablename__ = "issuer_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recipient_sub: Mapped[str] = mapped_column(String(128), index=True)
    application_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    offer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(Integer)
    # the login level of the recipient's session that caused it (shown only at that level+)
    level: Mapped[int] = mapped_column(Integer, default=2, server_default="2")


class LandlordRow(Base):
    """A landlord the city registered as issuer of the Wohnungsgeberbestätigung for one
    dwelling; bound to the pairwise BürgerID ``sub`` at the first login."""

    __tablename__ = "issuer_landlords"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    office: Mapped[str] = mapped_column(String(64), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[str] = mapped_column(String(10))
    sub: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    landlord: Mapped[str] = mapped_column(Text)
    dwelling: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    registered_by: Mapped[str] = mapped_column(String(160))
    registered_at: Mapped[int] = mapped_column(Integer)
    # one-time activation code (hashed) the first login enters to bind the row to its sub
    activation_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    activation_expires_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    activation_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EnrolmentRow(Base):
    """A BürgerID enrolment: level, method, evidence and time (no personal data)."""

    __tablename__ = "issuer_enrolments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    office: Mapped[str | None] = mapped_column(String(64), nullable=True)
    level: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(String(64))
    checked_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    enrolled_at: Mapped[int] = mapped_column(Integer)
    offer_id: Mapped[str] = mapped_column(String(32))


class DidcommRow(Base):
    """One DIDComm issuance of an approved application: the out-of-band invitation
    shown to the citizen, the holder's did:key, the connection and exchange at the
    issuer agent, and the credential row once issued (no claim values).

    From ``sending`` on it also holds everything needed to record the credential after a
    crash (``DidcommChannel.recover``): the offer, the status entry taken for it, the
    JSON-LD ``id`` and SHA-256 of the offered credential, its issuance and expiry.
    ``error``/``error_de``: why it failed; on a row still ``sending``/``issuing``, why
    its outcome is not known yet (the agent could not be asked)."""

    __tablename__ = "issuer_didcomm"
    __table_args__ = (CheckConstraint(_one_of("state", DidcommState), name="state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    invitation_msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    invitation_url: Mapped[str] = mapped_column(Text)
    holder_did: Mapped[str] = mapped_column(String(200))
    connection_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cred_ex_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    credential_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_de: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer)
    offer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_list_uri: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    jsonld_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    credential_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issued_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    valid_until: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RateEventRow(Base):
    """One counted event of a rate limit (a self-registration, a failed activation),
    kept in the database so that every worker process sees the same counts."""

    __tablename__ = "issuer_rate_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[int] = mapped_column(Integer, index=True)
