"""The issuer service: credential offers, the OID4VCI 1.0 pre-authorized code flow
(token, nonce, credential endpoints) and the audit log of every issuance.

State machine of an offer (declared here, applied only by ``_move``)::

    offered ──(code + tx_code redeemed)──▶ redeemed ──(credential issued)──▶ issued
       └────(too many wrong tx_codes)────▶ blocked

A pre-authorized code is good for one token, a token for one credential response, a
c_nonce for one request; all three are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from govchain.credentials._encoding import b64url_encode
from govchain.credentials.errors import ClaimValidationError
from govchain.credentials.issuer import Issuer, StatusListAllocation
from govchain.credentials.keys import EncryptedFileKeyStore, SigningKey
from govchain.credentials.status import RandomIndexAllocator
from govchain.credentials.types import CredentialType, credential_types
from govchain.errors import GovchainError
from govchain.issuer._db import migrate, open_engine
from govchain.issuer._models import (
    AccessTokenRow,
    AnchorState,
    AuditEvent,
    AuditRow,
    CredentialRow,
    NonceRow,
    OfferRow,
    OfferState,
)
from govchain.issuer._proof import PROOF_ALGS, check_proof
from govchain.issuer.errors import (
    DevIdentityError,
    DevIdentityRefusedError,
    InvalidCredentialRequestError,
    InvalidGrantError,
    InvalidNonceError,
    InvalidProofError,
    InvalidRequestError,
    InvalidTokenError,
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

GENESIS_HASH: Final = "0" * 64
"""The ``prev_hash`` of the first audit entry."""

OFFER_TRANSITIONS: Final[dict[OfferState, frozenset[OfferState]]] = {
    OfferState.OFFERED: frozenset({OfferState.REDEEMED, OfferState.BLOCKED}),
    OfferState.REDEEMED: frozenset({OfferState.ISSUED}),
    OfferState.ISSUED: frozenset(),
    OfferState.BLOCKED: frozenset(),
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


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
        # One writer at a time in this process (SQLite's busy handler would make
        # waiting threads sleep in steps of milliseconds; other processes still wait there)
        self._lock = threading.Lock()
        self._next_nonce_purge = 0
        self._issuer: Issuer | None = None
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
    ) -> OfferCreated:
        """Validate the claims and make an offer with a fresh pre-authorized code.

        Returns the ``openid-credential-offer://`` URI and, separately, the tx_code (if
        one was given), which must reach the citizen by another channel. ``office`` (a
        console office id) scopes the offer and its credentials to that office's officials.
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
        row = OfferRow(
            id=secrets.token_hex(16),
            configuration_id=cid,
            vct=ctype.vct,
            claims=record.model_dump_json(),
            code_hash=_sha256(code),
            tx_code_hash=_tx_code_hash(code, tx_code) if tx_code else None,
            tx_code_length=len(tx_code) if tx_code else None,
            tx_code_mode=(None if not tx_code else "numeric" if tx_code.isdigit() else "text"),
            tx_code_failures=0,
            state=OfferState.OFFERED.value,
            created_by=official,
            created_at=now,
            expires_at=now + self.settings.issuer_offer_ttl_seconds,
            office=office,
        )
        with self._lock, self._sessions.begin() as session:
            session.add(row)
            self._audit(
                session,
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
        with self._lock, self._sessions.begin() as session:
            row = session.scalars(
                select(OfferRow).where(OfferRow.code_hash == _sha256(code))
            ).first()
            if row is None:
                raise InvalidGrantError(
                    "The pre-authorized code is unknown.", "Der Vorab-Code ist unbekannt."
                )
            if row.state != OfferState.OFFERED:
                raise InvalidGrantError(
                    "The pre-authorized code was already used or is blocked.",
                    "Der Vorab-Code wurde bereits verwendet oder ist gesperrt.",
                )
            if row.expires_at <= now:
                raise InvalidGrantError(
                    "The pre-authorized code has expired; ask the office for a new offer.",
                    "Der Vorab-Code ist abgelaufen; bitte beim Amt ein neues Angebot anfordern.",
                )
            if row.tx_code_hash is None and tx_code is not None:
                raise InvalidRequestError(
                    "This offer expects no tx_code.", "Dieses Angebot erwartet keinen Code."
                )
            if row.tx_code_hash is not None:
                if not tx_code:
                    raise InvalidRequestError(
                        "This offer requires the tx_code the office sent separately.",
                        "Dieses Angebot erfordert den Code, den das Amt gesondert geschickt hat.",
                    )
                if not secrets.compare_digest(row.tx_code_hash, _tx_code_hash(code, tx_code)):
                    row.tx_code_failures += 1
                    if row.tx_code_failures >= self.settings.issuer_tx_code_max_attempts:
                        self._move(row, OfferState.BLOCKED)
                    refusal = InvalidGrantError(
                        "The tx_code is wrong.", "Der eingegebene Code ist falsch."
                    )
            if refusal is None:
                self._move(row, OfferState.REDEEMED)
                row.redeemed_at = now
                token = secrets.token_urlsafe(32)
                ttl = self.settings.issuer_access_token_ttl_seconds
                session.add(
                    AccessTokenRow(token_hash=_sha256(token), offer_id=row.id, expires_at=now + ttl)
                )
        if refusal is not None:
            raise refusal  # after the commit: the failed attempt is counted
        return TokenOut(access_token=token, expires_in=ttl)

    # --- nonce ------------------------------------------------------------------------

    def nonce(self) -> NonceOut:
        """A fresh, single-use c_nonce (OID4VCI 1.0, 7)."""
        now = self.now()
        value = secrets.token_urlsafe(24)
        with self._lock, self._sessions.begin() as session:
            if now >= self._next_nonce_purge:  # housekeeping, not per request: a full scan
                session.execute(delete(NonceRow).where(NonceRow.expires_at < now - 3600))
                self._next_nonce_purge = now + 60
            session.add(
                NonceRow(
                    nonce_hash=_sha256(value),
                    expires_at=now + self.settings.issuer_nonce_ttl_seconds,
                )
            )
        return NonceOut(c_nonce=value)

    # --- credential -------------------------------------------------------------------

    def _token_row(self, session: Session, authorization: str | None, now: int) -> AccessTokenRow:
        if authorization is None:
            raise InvalidTokenError(
                "An access token is required (Authorization: Bearer ...).",
                "Ein Zugangstoken ist erforderlich (Authorization: Bearer ...).",
                sent=False,
            )
        scheme, _, token = authorization.partition(" ")
        row = None
        if scheme.lower() == "bearer" and token.strip():
            row = session.get(AccessTokenRow, _sha256(token.strip()))
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidTokenError(
                "The access token is unknown, expired or already used.",
                "Das Zugangstoken ist unbekannt, abgelaufen oder bereits verwendet.",
            )
        return row

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

    def credential(self, authorization: str | None, body: object) -> CredentialOut:
        """Issue the offer's credential once per valid key proof (OID4VCI 1.0, 8).

        The token, the offer and the nonce are consumed, the credentials and their
        audit entries written in one transaction; nothing is half-written on refusal.
        """
        now = self.now()
        with self._lock, self._sessions() as session:
            offer_id = self._token_row(session, authorization, now).offer_id
            offer = session.get(OfferRow, offer_id)
        if offer is None:
            raise InvalidTokenError("The offer of this token is gone.", "Das Angebot fehlt.")
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
        if cid != offer.configuration_id:
            raise InvalidCredentialRequestError(
                f"This access token grants {offer.configuration_id}, not {cid}.",
                f"Dieses Zugangstoken berechtigt zu {offer.configuration_id}, nicht zu {cid}.",
            )
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
        issued: list[str] = []
        with self._lock, self._sessions.begin() as session:
            token = self._token_row(session, authorization, now)
            offer = session.get(OfferRow, token.offer_id)
            if offer is None or offer.state != OfferState.REDEEMED or offer.claims is None:
                raise InvalidTokenError(
                    "The access token was already used.",
                    "Das Zugangstoken wurde bereits verwendet.",
                )
            for nonce in {p.nonce for p in proofs}:
                consumed = session.execute(
                    update(NonceRow)
                    .where(
                        NonceRow.nonce_hash == _sha256(nonce),
                        NonceRow.used_at.is_(None),
                        NonceRow.expires_at > now,
                    )
                    .values(used_at=now)
                )
                if getattr(consumed, "rowcount", 0) != 1:
                    raise InvalidNonceError()
            claims = json.loads(offer.claims)
            for proof in proofs:
                credential = issuer.issue(claims, holder=proof.key, vct=offer.vct)
                assert credential.status is not None  # the issuer always has a list
                row = CredentialRow(
                    id=secrets.token_hex(16),
                    offer_id=offer.id,
                    vct=offer.vct,
                    status_list_uri=credential.status.uri,
                    status_index=credential.status.index,
                    holder_thumbprint=b64url_encode(proof.key.thumbprint()),
                    issued_at=credential.issued_at,
                    valid_until=credential.valid_until,
                )
                session.add(row)
                self._audit(
                    session,
                    AuditEvent.CREDENTIAL_ISSUED,
                    row.id,
                    {
                        "credential_id": row.id,
                        "offer_id": offer.id,
                        "offered_by": offer.created_by,
                        "vct": offer.vct,
                        "issuer": issuer.did,
                        "status_list_uri": row.status_list_uri,
                        "status_index": row.status_index,
                        "holder_thumbprint": row.holder_thumbprint,
                        "credential_sha256": _sha256(credential.serialized),
                        "issued_at": row.issued_at,
                        "valid_until": row.valid_until,
                    },
                    now,
                )
                issued.append(credential.serialized)
            token.used_at = now
            self._move(offer, OfferState.ISSUED)
            offer.claims = None  # the personal data is no longer needed here
            offer.issued_at = now
        self.anchor_pending()
        return CredentialOut(credentials=[IssuedCredentialOut(credential=c) for c in issued])

    # --- audit log --------------------------------------------------------------------

    @staticmethod
    def _audit(
        session: Session, event: AuditEvent, subject_id: str, body: Mapping[str, Any], at: int
    ) -> AuditRow:
        """Append one entry; its hash covers the previous entry's hash and its body."""
        # LIMIT 1: an ORM result is buffered whole, so without it every entry would be
        # fetched to read the newest (O(n) per append; it was most of an issuance's time)
        prev = session.scalars(
            select(AuditRow.entry_hash).order_by(AuditRow.seq.desc()).limit(1)
        ).first()
        prev_hash = prev or GENESIS_HASH
        text = _canonical({"event": event.value, "at": at, **body})
        row = AuditRow(
            at=at,
            event=event.value,
            subject_id=subject_id,
            body=text,
            prev_hash=prev_hash,
            entry_hash=_sha256(f"{prev_hash}\n{text}"),
            anchor_state=AnchorState.QUEUED.value,
        )
        session.add(row)
        session.flush()
        return row

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
        with self._lock, self._sessions.begin() as session:
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
