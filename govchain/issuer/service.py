"""The issuer service: credential offers, the OID4VCI 1.0 pre-authorized code flow
(token, nonce, credential endpoints) and the audit log of every issuance.

State machine of an offer (declared here, applied by ``move_offer``)::

    offered ──(code + tx_code redeemed)──▶ redeemed ──(credential issued)──▶ issued
       ├────(too many wrong tx_codes)────▶ blocked
       └────(issued by DIDComm instead)──▶ withdrawn

A pre-authorized code is good for one token, a token for one credential response, a
c_nonce for one request; all three are stored only as SHA-256 hashes. The c_nonce is
stateless until used (expiry and randomness under an HMAC, see ``nonce``): the hash is
stored when the credential endpoint consumes it, in the transaction that issues.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from govchain._files import create_file
from govchain._sql import WriteLock
from govchain.credentials._encoding import b64url_decode, b64url_encode
from govchain.credentials.errors import ClaimValidationError
from govchain.credentials.issuer import Issuer, StatusListAllocation
from govchain.credentials.keys import EncryptedFileKeyStore, SigningKey
from govchain.credentials.status import RandomIndexAllocator, StatusReference
from govchain.credentials.types import CredentialType, credential_types
from govchain.errors import GovchainError
from govchain.issuer._db import migrate, open_engine, open_read_engine
from govchain.issuer._models import (
    AccessTokenRow,
    AnchorState,
    AuditEvent,
    AuditRow,
    CredentialRow,
    OfferRow,
    OfferState,
)
from govchain.issuer._proof import PROOF_ALGS, check_proof
from govchain.issuer.errors import (
    CredentialRequestDeniedError,
    DevIdentityError,
    DevIdentityRefusedError,
    InvalidCredentialRequestError,
    InvalidGrantError,
    InvalidNonceError,
    InvalidProofError,
    InvalidRequestError,
    InvalidTokenError,
    IssuerError,
    IssuerNotReadyError,
    NotAuthenticatedError,
    OfferInputError,
    OfferNotFoundError,
    UnknownCredentialConfigurationError,
    UnsupportedGrantTypeError,
)
from govchain.issuer.schemas import (
    PRE_AUTHORIZED_GRANT,
    CredentialOut,
    CredentialRequestIn,
    IssuedCredentialOut,
    NonceOut,
    OfferCreated,
    TokenOut,
)
from govchain.issuer.settings import IssuerSettings
from govchain.platform.anchoring.service import AnchoringService

__all__ = [
    "GENESIS_HASH",
    "OFFER_TRANSITIONS",
    "IssuerIdentity",
    "IssuerService",
    "configuration_id",
    "configurations",
    "issuer_identity",
]

log = logging.getLogger(__name__)

_CAPACITY_WARNING: Final = 0.10  # warn when less than this share of the list is free
_CAPACITY_CHECK_SECONDS: Final = 5.0

GENESIS_HASH: Final = "0" * 64
"""The ``prev_hash`` of the first audit entry."""

OFFER_TRANSITIONS: Final[dict[OfferState, frozenset[OfferState]]] = {
    OfferState.OFFERED: frozenset({OfferState.REDEEMED, OfferState.BLOCKED, OfferState.WITHDRAWN}),
    OfferState.REDEEMED: frozenset({OfferState.ISSUED}),
    OfferState.ISSUED: frozenset(),
    OfferState.BLOCKED: frozenset(),
    OfferState.WITHDRAWN: frozenset(),
}

_OFFICIAL = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}/[A-Za-z0-9][A-Za-z0-9._@-]{0,94}$")


def configuration_id(ctype: CredentialType) -> str:
    """The credential configuration id of a type, e.g. ``street_music_permit_sd_jwt``."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type(ctype).__name__).lower()
    return f"{snake}_sd_jwt"


def configurations() -> dict[str, CredentialType]:
    """Every credential configuration this issuer offers, by id (one per type)."""
    return {configuration_id(t): t for t in credential_types()}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _tx_code_hash(code: str, tx_code: str) -> str:
    # Salted with the pre-authorized code, which is not stored: the short tx_code
    # cannot be guessed from a copy of the database alone.
    return _sha256(f"{code}\x00{tx_code}")


def _transition(offer_id: str, current: str, to: OfferState) -> str:
    """``to`` if the offer state machine allows ``current -> to`` (for the Core paths,
    which hold the state as a column value rather than an ``OfferRow``)."""
    if to not in OFFER_TRANSITIONS[OfferState(current)]:
        raise RuntimeError(f"offer {offer_id}: {current} -> {to} is not a transition")
    return to.value


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# The OID4VCI hot paths run these statements directly (SQLAlchemy Core on the service's
# engine, parameters bound) rather than loading ORM objects: a flow is three short
# transactions, and the ORM's unit of work was half of the server's time.
_OFFER_BY_CODE: Final = text(
    "SELECT id, state, expires_at, tx_code_hash, tx_code_failures FROM issuer_offers "
    "WHERE code_hash = :code_hash"
)
_OFFER_TX_CODE_WRONG: Final = text(
    "UPDATE issuer_offers SET tx_code_failures = :failures, state = :state WHERE id = :id"
)
_OFFER_REDEEMED: Final = text(
    "UPDATE issuer_offers SET state = :state, redeemed_at = :now WHERE id = :id"
)
_TOKEN_OFFER: Final = text(
    "SELECT t.expires_at, t.used_at, o.id, o.state, o.configuration_id, o.vct, o.claims, "
    "o.created_by, o.application_id, o.batch_size FROM issuer_access_tokens t "
    "LEFT JOIN issuer_offers o ON o.id = t.offer_id WHERE t.token_hash = :token_hash"
)
# Another offer of the same application already has a credential, or the application is
# no longer approved (issued over DIDComm, say): one permit, one credential.
_APPLICATION_TAKEN: Final = text(
    "SELECT 1 FROM issuer_applications a WHERE a.id = :application_id AND (a.state <> 'approved' "
    "OR EXISTS (SELECT 1 FROM issuer_credentials c JOIN issuer_offers o ON o.id = c.offer_id "
    "WHERE o.application_id = :application_id))"
)
_TOKEN_USED: Final = text(
    "UPDATE issuer_access_tokens SET used_at = :now WHERE token_hash = :token_hash"
)
_OFFER_ISSUED: Final = text(
    "UPDATE issuer_offers SET state = :state, claims = NULL, issued_at = :now WHERE id = :id"
)
# The primary key makes a c_nonce single use: a second insert of its hash does nothing.
_NONCE_CONSUMED: Final = text(
    "INSERT INTO issuer_nonces (nonce_hash, expires_at, used_at) "
    "VALUES (:nonce_hash, :expires_at, :now) ON CONFLICT (nonce_hash) DO NOTHING"
)
_NONCE_PURGE: Final = text("DELETE FROM issuer_nonces WHERE expires_at < :before")
_NONCE_USED: Final = text("SELECT 1 FROM issuer_nonces WHERE nonce_hash = :nonce_hash")
_AUDIT_HEAD: Final = text("SELECT entry_hash FROM issuer_audit_log ORDER BY seq DESC LIMIT 1")
# Inserts through the tables (not text): column defaults a later migration adds apply.
_INSERT_OFFER: Final = insert(OfferRow)
_INSERT_TOKEN: Final = insert(AccessTokenRow)
_INSERT_CREDENTIAL: Final = insert(CredentialRow)
_INSERT_AUDIT: Final = insert(AuditRow)

_NONCE_MAC_CONTEXT: Final = b"govchain issuer c_nonce v1\x00"
_NONCE_RANDOM_BYTES: Final = 16
_NONCE_MAC_BYTES: Final = 16


def _nonce_mac_key(settings: IssuerSettings) -> bytes:
    """The key that MACs the c_nonces (``<issuer dir>/nonce-mac.key``, 32 random bytes,
    mode 0600), shared by every worker process; made on first use. The file is
    published by ``link``, so when workers race to make it they all read one key."""
    path = settings.issuer_dir / "nonce-mac.key"
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process was first: use theirs
            create_file(path, secrets.token_bytes(32), 0o600)
    key = path.read_bytes()
    if len(key) != 32:
        raise RuntimeError(f"{path} is damaged (not 32 bytes); delete it to make a new one")
    return key


def _key_store(settings: IssuerSettings) -> EncryptedFileKeyStore:
    return EncryptedFileKeyStore(
        settings.issuer_dir / "keys",
        settings.keystore_passphrase.get_secret_value(),
        scrypt_n=settings.issuer_key_scrypt_n,
    )


def _office_key(settings: IssuerSettings) -> SigningKey:
    """The office's signing key from the encrypted key store; made on first use."""
    store = _key_store(settings)
    if settings.issuer_key_id not in store.key_ids():
        log.info("creating the office signing key %s", settings.issuer_key_id)
        return store.generate(settings.issuer_key_id)
    return store.load(settings.issuer_key_id)


@dataclass(frozen=True)
class IssuerIdentity:
    """What the office admin registers in the TrustRegistry: DID and key thumbprint."""

    did: str
    kid: str
    thumbprint: bytes
    public_jwk: dict[str, str]


def issuer_identity(settings: IssuerSettings) -> IssuerIdentity:
    """The office's DID (did:jwk of its signing key), creating the key if needed."""
    issuer = Issuer(_office_key(settings))
    public = issuer.key.public_key
    return IssuerIdentity(issuer.did, issuer.kid, public.thumbprint(), dict(public.jwk))


class IssuerService:
    """Offers, tokens, nonces, credentials and the audit log on one database.

    Args:
        settings: the issuer's settings.
        engine: the database (migrated).
        key: the office's signing key; None for a service that only makes offers
            (the scripted issuance from the CLI).
        clock: unix seconds; tests and the demo pass the chain's clock, which the
            TrustRegistry compares issuance times with.
        anchoring: the in-process anchoring service; None leaves audit hashes queued.
    """

    def __init__(
        self,
        settings: IssuerSettings,
        engine: Engine,
        *,
        key: SigningKey | None,
        clock: Callable[[], float] = time.time,
        anchoring: AnchoringService | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self.anchoring = anchoring
        # One writer at a time, across this process's threads and the other workers on
        # the same SQLite file (waiting in the kernel, not in SQLite's sleeping busy loop)
        self.write_lock = WriteLock(engine.url.render_as_string(hide_password=False))
        # reads that need no write lock (SQLite: no BEGIN IMMEDIATE; WAL readers never
        # wait for the writer)
        self._reader = open_read_engine(engine.url.render_as_string(hide_password=False))
        self._next_nonce_purge = 0
        self._nonce_key: bytes | None = None
        self._issuer: Issuer | None = None
        self._allocator: RandomIndexAllocator | None = None
        self._next_capacity_check = 0.0
        if key is not None and settings.issuer_status_list_uri is not None:
            uri = settings.issuer_status_list_uri
            allocator = RandomIndexAllocator(
                uri,
                settings.issuer_status_list_size,
                path=settings.issuer_dir / "status" / f"{_sha256(uri)[:32]}.json",
            )
            self._issuer = Issuer(
                key, status_list=StatusListAllocation(uri, allocator), clock=clock
            )
            self._allocator = allocator
        if anchoring is not None and not anchoring.store.has_namespace(self.namespace):
            anchoring.add_namespace(self.namespace)

    @classmethod
    def open(
        cls,
        settings: IssuerSettings,
        *,
        load_key: bool = True,
        clock: Callable[[], float] = time.time,
        anchoring: AnchoringService | None = None,
    ) -> IssuerService:
        """The service on the configured database (migrated at once)."""
        engine = open_engine(settings.issuer_db_url)
        migrate(engine)
        key = _office_key(settings) if load_key else None
        service = cls(settings, engine, key=key, clock=clock, anchoring=anchoring)
        service.anchor_pending()
        return service

    def close(self) -> None:
        """Release the database."""
        self.engine.dispose()
        self._reader.dispose()

    # --- small helpers ----------------------------------------------------------------

    @property
    def namespace(self) -> str:
        """The anchoring namespace of the audit log."""
        return self.settings.issuer_anchoring_namespace

    @property
    def credential_issuer(self) -> str:
        """The Credential Issuer Identifier."""
        return self.settings.credential_issuer

    @property
    def did(self) -> str | None:
        """The office's DID, once it can issue."""
        return self._issuer.did if self._issuer is not None else None

    def now(self) -> int:
        """The service's clock, in unix seconds."""
        return int(self._clock())

    @staticmethod
    def _move(row: OfferRow, to: OfferState) -> None:
        current = OfferState(row.state)
        if to not in OFFER_TRANSITIONS[current]:
            raise RuntimeError(f"offer {row.id}: {current} -> {to} is not a transition")
        row.state = to.value

    move_offer = _move

    def allocate_status(self) -> StatusReference:
        """A fresh entry of the issuer's status list, from the allocator the SD-JWT
        issuance draws from (random, never reused): the DIDComm channel's JSON-LD
        credential gets its entry here, so one list and one allocation serve both."""
        if self._issuer is None or self._issuer.status_list is None:
            raise IssuerNotReadyError()
        reference = self._issuer.status_list.allocate()
        self.check_status_capacity()
        return reference

    def check_status_capacity(self) -> float | None:
        """The share of the status list still free (checked at most every few seconds);
        below 10 % a warning is logged, so the office creates a new list before issuance
        stops. None when there is no list or it was checked just now."""
        if self._allocator is None:
            return None
        now = time.monotonic()
        if now < self._next_capacity_check:
            return None
        self._next_capacity_check = now + _CAPACITY_CHECK_SECONDS
        share = self._allocator.remaining / self._allocator.size
        if share < _CAPACITY_WARNING:
            log.warning(
                "status list %s: only %.1f %% of its %d entries are left; create a new "
                "list (GOVCHAIN_ISSUER_STATUS_LIST_URI) before it runs out",
                self._allocator.uri,
                share * 100,
                self._allocator.size,
            )
        return share

    def identify(self, header: str | None) -> str:
        """The official named by the development header (``<office>/<official>``).

        Raises:
            DevIdentityRefusedError: the header outside development.
            NotAuthenticatedError: no header.
            DevIdentityError: a malformed header.
        """
        if header is not None and not self.settings.development:
            raise DevIdentityRefusedError()
        if header is None or not header.strip():
            raise NotAuthenticatedError()
        value = header.strip()
        if not _OFFICIAL.match(value):
            raise DevIdentityError(value)
        return value

    # --- metadata ---------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """Credential Issuer Metadata (OID4VCI 1.0, 12.2): one ``dc+sd-jwt``
        configuration per credential type, with German and English display."""
        base = self.credential_issuer
        return {
            "credential_issuer": base,
            "credential_endpoint": f"{base}/credential",
            "nonce_endpoint": f"{base}/nonce",
            "batch_credential_issuance": {"batch_size": self.settings.issuer_batch_size},
            "display": [
                {"name": self.settings.issuer_name_de, "locale": "de-DE"},
                {"name": self.settings.issuer_name_en, "locale": "en-US"},
            ],
            "credential_configurations_supported": {
                cid: _configuration(ctype) for cid, ctype in configurations().items()
            },
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        """OAuth 2.0 Authorization Server Metadata (RFC 8414): the issuer is its own
        authorization server and supports only the pre-authorized code grant."""
        base = self.credential_issuer
        return {
            "issuer": base,
            "token_endpoint": f"{base}/token",
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["none"],
            "pre-authorized_grant_anonymous_access_supported": True,
        }

    # --- offers -----------------------------------------------------------------------

    def _configuration(self, credential_type: str) -> tuple[str, CredentialType]:
        known = configurations()
        if credential_type in known:
            return credential_type, known[credential_type]
        for cid, ctype in known.items():
            if ctype.vct == credential_type:
                return cid, ctype
        shown = credential_type[:80]
        raise OfferInputError(
            f"{shown!r} is no credential type of this issuer; use one of {', '.join(known)}.",
            f"{shown!r} ist kein Nachweistyp dieser Stelle; einen von {', '.join(known)} "
            "verwenden.",
        )

    def create_offer(
        self,
        *,
        credential_type: str,
        claims: Mapping[str, Any],
        official: str,
        tx_code: str | None = None,
        by_reference: bool = False,
        office: str | None = None,
        application_id: str | None = None,
        batch_size: int | None = None,
    ) -> OfferCreated:
        """Validate the claims and make an offer with a fresh pre-authorized code.

        Returns the ``openid-credential-offer://`` URI and, separately, the tx_code (if
        one was given), which must reach the citizen by another channel. ``office`` (a
        console office id) scopes the offer and its credentials to that office's officials;
        ``application_id`` ties it to a console application (one permit, one credential:
        the credential endpoint refuses once any offer of it was issued); ``batch_size``
        caps the credentials per request below the issuer's setting (self-registration: 1).
        """
        if self.settings.issuer_status_list_uri is None:
            raise IssuerNotReadyError()
        cid, ctype = self._configuration(credential_type)
        try:
            record = ctype.parse(claims)
        except ClaimValidationError as err:
            raise OfferInputError(
                f"The claims are not a valid {ctype.name_en}: {'; '.join(err.problems)}.",
                f"Die Angaben sind kein gültiger Nachweis „{ctype.name_de}“: "
                f"{'; '.join(err.problems)}.",
                err.problems,
            ) from err
        if tx_code is not None and not re.fullmatch(r"[0-9A-Za-z]{4,12}", tx_code):
            raise OfferInputError(
                "The tx_code must be 4 to 12 letters or digits.",
                "Der Transaktionscode muss aus 4 bis 12 Buchstaben oder Ziffern bestehen.",
            )
        now = self.now()
        code = secrets.token_urlsafe(32)
        values: dict[str, Any] = {
            "id": secrets.token_hex(16),
            "configuration_id": cid,
            "vct": ctype.vct,
            "claims": record.model_dump_json(),
            "code_hash": _sha256(code),
            "tx_code_hash": _tx_code_hash(code, tx_code) if tx_code else None,
            "tx_code_length": len(tx_code) if tx_code else None,
            "tx_code_mode": None if not tx_code else "numeric" if tx_code.isdigit() else "text",
            "tx_code_failures": 0,
            "state": OfferState.OFFERED.value,
            "created_by": official,
            "created_at": now,
            "expires_at": now + self.settings.issuer_offer_ttl_seconds,
            "office": office,
            "application_id": application_id,
            "batch_size": batch_size,
        }
        row = OfferRow(**values)  # not added to a session: it only feeds the document
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(_INSERT_OFFER, values)
            self._audit(
                connection,
                AuditEvent.OFFER_CREATED,
                row.id,
                {
                    "offer_id": row.id,
                    "configuration_id": cid,
                    "vct": ctype.vct,
                    "created_by": official,
                    **({"office": office} if office else {}),
                    "tx_code_required": tx_code is not None,
                    "expires_at": row.expires_at,
                },
                now,
            )
        self.anchor_pending()
        offer = self._offer_document(row, code)
        if by_reference:
            reference = f"{self.credential_issuer}/issuer/v1/credential-offers/{code}"
            uri = f"openid-credential-offer://?credential_offer_uri={quote(reference, safe='')}"
        else:
            uri = f"openid-credential-offer://?credential_offer={quote(_canonical(offer), safe='')}"
        return OfferCreated(
            offer_id=row.id,
            configuration_id=cid,
            offer_uri=uri,
            tx_code=tx_code,
            expires_at=row.expires_at,
            page_url=f"{self.credential_issuer}/issuer/angebote/{code}",
        )

    def _offer_document(self, row: OfferRow, code: str) -> dict[str, Any]:
        grant: dict[str, Any] = {"pre-authorized_code": code}
        if row.tx_code_length is not None:
            grant["tx_code"] = {
                "input_mode": row.tx_code_mode,
                "length": row.tx_code_length,
                "description": "Bitte den Code eingeben, den Sie vom Amt erhalten haben.",
            }
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": [row.configuration_id],
            "grants": {PRE_AUTHORIZED_GRANT: grant},
        }

    def offer_document(self, code: str) -> dict[str, Any]:
        """The credential offer behind a ``credential_offer_uri``, while it is open."""
        with self._sessions() as session:
            row = session.scalars(
                select(OfferRow).where(OfferRow.code_hash == _sha256(code))
            ).first()
            if row is None or row.state != OfferState.OFFERED or row.expires_at <= self.now():
                raise OfferNotFoundError(code[:8])
            return self._offer_document(row, code)

    def offer_page(self, code: str) -> tuple[OfferRow, str]:
        """The open offer and its by-reference URI, for the German offer page."""
        document = self.offer_document(code)
        del document
        with self._sessions() as session:
            row = session.scalars(select(OfferRow).where(OfferRow.code_hash == _sha256(code))).one()
        reference = f"{self.credential_issuer}/issuer/v1/credential-offers/{code}"
        return row, f"openid-credential-offer://?credential_offer_uri={quote(reference, safe='')}"

    # --- token ------------------------------------------------------------------------

    def token(self, form: Mapping[str, str]) -> TokenOut:
        """Exchange a pre-authorized code (and tx_code) for an access token bound to
        the offer (OID4VCI 1.0, 6)."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise InvalidRequestError("grant_type is missing.", "grant_type fehlt.")
        if grant_type != PRE_AUTHORIZED_GRANT:
            raise UnsupportedGrantTypeError(grant_type)
        code = form.get("pre-authorized_code")
        if not code:
            raise InvalidRequestError(
                "pre-authorized_code is missing.", "pre-authorized_code fehlt."
            )
        tx_code = form.get("tx_code")
        now = self.now()
        refusal: InvalidGrantError | None = None
        with self.write_lock, self.engine.begin() as connection:
            row = connection.execute(_OFFER_BY_CODE, {"code_hash": _sha256(code)}).first()
            if row is None:
                raise InvalidGrantError(
                    "The pre-authorized code is unknown.", "Der Vorab-Code ist unbekannt."
                )
            offer_id, state, expires_at, tx_code_hash, failures = row
            if state != OfferState.OFFERED:
                raise InvalidGrantError(
                    "The pre-authorized code was already used or is blocked.",
                    "Der Vorab-Code wurde bereits verwendet oder ist gesperrt.",
                )
            if expires_at <= now:
                raise InvalidGrantError(
                    "The pre-authorized code has expired; ask the office for a new offer.",
                    "Der Vorab-Code ist abgelaufen; bitte beim Amt ein neues Angebot anfordern.",
                )
            if tx_code_hash is None and tx_code is not None:
                raise InvalidRequestError(
                    "This offer expects no tx_code.", "Dieses Angebot erwartet keinen Code."
                )
            if tx_code_hash is not None:
                if not tx_code:
                    raise InvalidRequestError(
                        "This offer requires the tx_code the office sent separately.",
                        "Dieses Angebot erfordert den Code, den das Amt gesondert geschickt hat.",
                    )
                if not secrets.compare_digest(tx_code_hash, _tx_code_hash(code, tx_code)):
                    failures += 1
                    if failures >= self.settings.issuer_tx_code_max_attempts:
                        state = _transition(offer_id, state, OfferState.BLOCKED)
                    connection.execute(
                        _OFFER_TX_CODE_WRONG, {"failures": failures, "state": state, "id": offer_id}
                    )
                    refusal = InvalidGrantError(
                        "The tx_code is wrong.", "Der eingegebene Code ist falsch."
                    )
            if refusal is None:
                connection.execute(
                    _OFFER_REDEEMED,
                    {
                        "state": _transition(offer_id, state, OfferState.REDEEMED),
                        "now": now,
                        "id": offer_id,
                    },
                )
                token = secrets.token_urlsafe(32)
                ttl = self.settings.issuer_access_token_ttl_seconds
                connection.execute(
                    _INSERT_TOKEN,
                    {"token_hash": _sha256(token), "offer_id": offer_id, "expires_at": now + ttl},
                )
        if refusal is not None:
            raise refusal  # after the commit: the failed attempt is counted
        return TokenOut(access_token=token, expires_in=ttl)

    # --- nonce ------------------------------------------------------------------------

    @property
    def _nonce_mac(self) -> bytes:
        if self._nonce_key is None:
            self._nonce_key = _nonce_mac_key(self.settings)
        return self._nonce_key

    def _nonce_tag(self, message: bytes) -> bytes:
        mac = hmac.new(self._nonce_mac, _NONCE_MAC_CONTEXT + message, hashlib.sha256)
        return mac.digest()[:_NONCE_MAC_BYTES]

    def nonce(self) -> NonceOut:
        """A fresh, single-use c_nonce (OID4VCI 1.0, 7), made without a database write.

        The nonce is its expiry time and 16 random bytes, MAC'd with the issuer's nonce
        key (HMAC-SHA-256): the credential endpoint checks the MAC and the expiry, and
        records the nonce's hash as used in the same transaction that issues, so it is
        accepted once. Nonces nobody uses cost nothing.
        """
        expires_at = self.now() + self.settings.issuer_nonce_ttl_seconds
        message = expires_at.to_bytes(8, "big") + secrets.token_bytes(_NONCE_RANDOM_BYTES)
        return NonceOut(c_nonce=b64url_encode(message + self._nonce_tag(message)))

    def _nonce_expiry(self, nonce: str, now: int) -> int | None:
        """The expiry of a c_nonce this issuer made and that has not expired; else None."""
        size = 8 + _NONCE_RANDOM_BYTES + _NONCE_MAC_BYTES
        if len(nonce) != (size * 4 + 2) // 3:  # unpadded base64url of ``size`` bytes
            return None
        try:
            raw = b64url_decode(nonce)
        except ValueError:
            return None
        if len(raw) != size or b64url_encode(raw) != nonce:  # one spelling per nonce
            return None
        message, tag = raw[: size - _NONCE_MAC_BYTES], raw[size - _NONCE_MAC_BYTES :]
        if not hmac.compare_digest(tag, self._nonce_tag(message)):
            return None
        expires_at = int.from_bytes(message[:8], "big")
        return expires_at if expires_at > now else None

    def _consume_nonces(self, connection: Connection, nonces: set[str], now: int) -> None:
        """Record each c_nonce as used; InvalidNonceError if one is forged, expired or
        was used before (nothing is then committed: the caller's transaction rolls back)."""
        for nonce in nonces:
            expires_at = self._nonce_expiry(nonce, now)
            if expires_at is None:
                raise InvalidNonceError()
            consumed = connection.execute(
                _NONCE_CONSUMED,
                {"nonce_hash": _sha256(nonce), "expires_at": expires_at, "now": now},
            )
            if consumed.rowcount != 1:
                raise InvalidNonceError()
        if now >= self._next_nonce_purge:  # housekeeping, not per request: a full scan
            # An expired nonce is refused by its own expiry; its record is no longer needed.
            connection.execute(_NONCE_PURGE, {"before": now - 3600})
            self._next_nonce_purge = now + 60

    # --- credential -------------------------------------------------------------------

    @staticmethod
    def _bearer(authorization: str | None) -> str | None:
        """The hash of the bearer token in an Authorization header (None if malformed)."""
        if authorization is None:
            raise InvalidTokenError(
                "An access token is required (Authorization: Bearer ...).",
                "Ein Zugangstoken ist erforderlich (Authorization: Bearer ...).",
                sent=False,
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return _sha256(token.strip())

    @staticmethod
    def _token_offer(connection: Connection, token_hash: str | None, now: int) -> Any:
        """The token's offer (id, state, configuration_id, vct, claims, created_by) while
        the token is good; InvalidTokenError otherwise."""
        row = None
        if token_hash is not None:
            row = connection.execute(_TOKEN_OFFER, {"token_hash": token_hash}).first()
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidTokenError(
                "The access token is unknown, expired or already used.",
                "Das Zugangstoken ist unbekannt, abgelaufen oder bereits verwendet.",
            )
        if row.id is None:
            raise InvalidTokenError("The offer of this token is gone.", "Das Angebot fehlt.")
        return row

    def _granted_configuration(self, token_hash: str | None, now: int) -> str:
        """The configuration the token grants (a read; refusals come first)."""
        with self.write_lock, self.engine.begin() as connection:
            return str(self._token_offer(connection, token_hash, now).configuration_id)

    def _check_issuable(self, offer: Any, cid: str) -> None:
        if offer.state != OfferState.REDEEMED or offer.claims is None:
            raise InvalidTokenError(
                "The access token was already used.",
                "Das Zugangstoken wurde bereits verwendet.",
            )
        if offer.configuration_id != cid:
            raise self._not_granted(offer.configuration_id, cid)

    @staticmethod
    def _not_granted(granted: str, cid: str) -> InvalidCredentialRequestError:
        return InvalidCredentialRequestError(
            f"This access token grants {granted}, not {cid}.",
            f"Dieses Zugangstoken berechtigt zu {granted}, nicht zu {cid}.",
        )

    @staticmethod
    def _proof_jwts(request: CredentialRequestIn, batch_size: int) -> list[object]:
        if request.proofs is not None and request.proof is not None:
            raise InvalidCredentialRequestError(
                "Send proofs or proof, not both.", "Entweder proofs oder proof senden."
            )
        if request.proof is not None:
            if request.proof.get("proof_type") != "jwt":
                raise InvalidProofError("only the jwt proof type is supported", "nur jwt-Nachweise")
            return [request.proof.get("jwt")]
        if request.proofs is None:
            raise InvalidProofError("the proofs are missing", "die Nachweise fehlen")
        if set(request.proofs) != {"jwt"}:
            raise InvalidProofError(
                "proofs must hold exactly the jwt proof type", "proofs darf nur jwt enthalten"
            )
        jwts = request.proofs["jwt"]
        if not isinstance(jwts, list) or not jwts:
            raise InvalidProofError("proofs.jwt must be a non-empty list", "proofs.jwt ist leer")
        if len(jwts) > batch_size:
            raise InvalidCredentialRequestError(
                f"At most {batch_size} proofs per request.",
                f"Höchstens {batch_size} Nachweise je Anfrage.",
            )
        return list(jwts)

    @staticmethod
    def _requested(body: object) -> tuple[CredentialRequestIn, str]:
        """The credential request and the configuration it asks for."""
        if not isinstance(body, dict):
            raise InvalidCredentialRequestError(
                "The request must be a JSON object.", "Die Anfrage muss ein JSON-Objekt sein."
            )
        try:
            request = CredentialRequestIn.model_validate(body)
        except ValidationError as err:
            raise InvalidCredentialRequestError(
                "The credential request is malformed.", "Die Nachweisanfrage ist fehlerhaft."
            ) from err
        if request.credential_identifier is not None:
            raise InvalidCredentialRequestError(
                "This issuer does not use credential identifiers; send "
                "credential_configuration_id.",
                "Diese Stelle nutzt keine credential_identifier; credential_configuration_id "
                "senden.",
            )
        cid = request.credential_configuration_id
        if not cid:
            raise InvalidCredentialRequestError(
                "credential_configuration_id is missing.", "credential_configuration_id fehlt."
            )
        if cid not in configurations():
            raise UnknownCredentialConfigurationError(cid)
        return request, cid

    def credential(self, authorization: str | None, body: object) -> CredentialOut:
        """Issue the offer's credential once per valid key proof (OID4VCI 1.0, 8).

        The request and its proofs are checked first, without the database; then one
        transaction checks the token and its offer, consumes the token, the offer and the
        c_nonce, and writes the credentials and their audit entries: nothing is
        half-written on refusal. Refusals keep the spec's order (token, request, granted
        configuration, proofs, nonce): a refused request looks the token up first.
        """
        now = self.now()
        token_hash = self._bearer(authorization)
        try:
            request, cid = self._requested(body)
        except IssuerError:
            self._granted_configuration(token_hash, now)  # a bad token is named first
            raise
        try:
            jwts = self._proof_jwts(request, self.settings.issuer_batch_size)
            proofs = [
                check_proof(
                    jwt,
                    audience=self.credential_issuer,
                    now=now,
                    max_age=self.settings.issuer_proof_max_age_seconds,
                )
                for jwt in jwts
            ]
            issuer = self._issuer
            if issuer is None:
                raise IssuerNotReadyError()
        except IssuerError as err:
            granted = self._granted_configuration(token_hash, now)
            if granted != cid:
                raise self._not_granted(granted, cid) from err
            raise
        # Sign first, outside the writers' turn (a read sees the last commit and blocks
        # no one); the write transaction then checks again that the token is unused, so
        # two racing requests issue once (the loser's signed copies are dropped, their
        # status indexes simply stay unused).
        with self._reader.connect() as connection:
            offer = self._token_offer(connection, token_hash, now)
        self._check_issuable(offer, cid)
        if offer.batch_size is not None and len(proofs) > offer.batch_size:
            raise InvalidCredentialRequestError(
                f"This offer grants at most {offer.batch_size} credential(s) per request.",
                f"Dieses Angebot berechtigt zu höchstens {offer.batch_size} Nachweis(en).",
            )
        claims = json.loads(offer.claims)
        signed = [
            (proof, issuer.issue(claims, holder=proof.key, vct=offer.vct)) for proof in proofs
        ]
        issued: list[str] = []
        with self.write_lock, self.engine.begin() as connection:
            offer = self._token_offer(connection, token_hash, now)
            self._check_issuable(offer, cid)
            if (
                offer.application_id is not None
                and connection.execute(
                    _APPLICATION_TAKEN, {"application_id": offer.application_id}
                ).first()
            ):
                raise CredentialRequestDeniedError(
                    "A credential was already issued for this application.",
                    "Für diesen Antrag wurde bereits ein Nachweis ausgestellt.",
                )
            self._consume_nonces(connection, {p.nonce for p in proofs}, now)
            for proof, credential in signed:
                assert credential.status is not None  # the issuer always has a list
                row: dict[str, Any] = {
                    "id": secrets.token_hex(16),
                    "offer_id": offer.id,
                    "vct": offer.vct,
                    "status_list_uri": credential.status.uri,
                    "status_index": credential.status.index,
                    "holder_thumbprint": b64url_encode(proof.key.thumbprint()),
                    "issued_at": credential.issued_at,
                    "valid_until": credential.valid_until,
                }
                connection.execute(_INSERT_CREDENTIAL, row)
                self._audit(
                    connection,
                    AuditEvent.CREDENTIAL_ISSUED,
                    row["id"],
                    {
                        "credential_id": row["id"],
                        "offer_id": offer.id,
                        "offered_by": offer.created_by,
                        "vct": offer.vct,
                        "issuer": issuer.did,
                        "status_list_uri": row["status_list_uri"],
                        "status_index": row["status_index"],
                        "holder_thumbprint": row["holder_thumbprint"],
                        "credential_sha256": _sha256(credential.serialized),
                        "issued_at": row["issued_at"],
                        "valid_until": row["valid_until"],
                    },
                    now,
                )
                issued.append(credential.serialized)
            connection.execute(_TOKEN_USED, {"now": now, "token_hash": token_hash})
            connection.execute(
                _OFFER_ISSUED,
                {
                    "state": _transition(offer.id, offer.state, OfferState.ISSUED),
                    "now": now,
                    "id": offer.id,
                },
            )  # the claims (personal data) are erased: no longer needed here
        self.anchor_pending()
        self.check_status_capacity()
        return CredentialOut(credentials=[IssuedCredentialOut(credential=c) for c in issued])

    # --- audit log --------------------------------------------------------------------

    @staticmethod
    def _audit(
        session: Session | Connection,
        event: AuditEvent,
        subject_id: str,
        body: Mapping[str, Any],
        at: int,
    ) -> str:
        """Append one entry in the caller's transaction (an ORM session or a Core
        connection); its hash covers the previous entry's hash and its body. Returns the
        entry's hash. Every transaction takes the database's write lock first (see
        ``_db``), so two appends never read the same predecessor, whichever process."""
        prev = session.execute(_AUDIT_HEAD).scalar()
        prev_hash = prev or GENESIS_HASH
        text_ = _canonical({"event": event.value, "at": at, **body})
        entry_hash = _sha256(f"{prev_hash}\n{text_}")
        session.execute(
            _INSERT_AUDIT,
            {
                "at": at,
                "event": event.value,
                "subject_id": subject_id,
                "body": text_,
                "prev_hash": prev_hash,
                "entry_hash": entry_hash,
                "anchor_state": AnchorState.QUEUED.value,
            },
        )
        return entry_hash

    def audit_log(self) -> list[AuditRow]:
        """The whole audit log, oldest first."""
        with self._sessions() as session:
            return list(session.scalars(select(AuditRow).order_by(AuditRow.seq)))

    def verify_audit_chain(self) -> bool:
        """Whether every entry's hash matches its body and its predecessor."""
        prev = GENESIS_HASH
        for row in self.audit_log():
            if row.prev_hash != prev or row.entry_hash != _sha256(f"{prev}\n{row.body}"):
                return False
            prev = row.entry_hash
        return True

    def anchor_pending(self) -> int:
        """Hand queued audit hashes to the anchoring service; returns how many.

        Without an anchoring service, or while it refuses, the entries stay queued and
        the next call (after the next issuance, or at start) tries again.
        """
        if self.anchoring is None:
            return 0
        with self.write_lock, self._sessions.begin() as session:
            rows = list(
                session.scalars(
                    select(AuditRow)
                    .where(AuditRow.anchor_state == AnchorState.QUEUED.value)
                    .order_by(AuditRow.seq)
                )
            )
            if not rows:
                return 0
            try:
                ids = self.anchoring.submit_many(
                    self.namespace, [bytes.fromhex(r.entry_hash) for r in rows]
                )
            except GovchainError as err:
                log.warning("audit entries stay queued for anchoring: %s", err)
                return 0
            for row, rid in zip(rows, ids, strict=True):
                row.anchor_state = AnchorState.SUBMITTED.value
                row.receipt_id = rid
        return len(rows)

    def purge_expired_offers(self) -> int:
        """Delete offers that expired unredeemed (and their claims); returns how many."""
        now = self.now()
        with self._sessions.begin() as session:
            result = session.execute(
                delete(OfferRow).where(
                    OfferRow.state.in_([OfferState.OFFERED.value, OfferState.BLOCKED.value]),
                    OfferRow.expires_at <= now,
                )
            )
        return int(getattr(result, "rowcount", 0))


def _configuration(ctype: CredentialType) -> dict[str, Any]:
    """One ``dc+sd-jwt`` credential configuration (OID4VCI 1.0, Appendix A.3)."""
    claims = [
        {
            "path": list(spec.path),
            "display": [
                {"name": spec.label_de, "locale": "de-DE"},
                {"name": spec.label_en, "locale": "en-US"},
            ],
            **({"mandatory": True} if spec.mandatory else {}),
        }
        for spec in ctype.claims
        if "*" not in spec.path
    ]
    return {
        "format": "dc+sd-jwt",
        "vct": ctype.vct,
        "scope": configuration_id(ctype),
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": ["ES256"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
        "credential_metadata": {
            "display": [
                {"name": ctype.name_de, "locale": "de-DE", "description": ctype.description_de},
                {"name": ctype.name_en, "locale": "en-US", "description": ctype.description_en},
            ],
            "claims": claims,
        },
    }
