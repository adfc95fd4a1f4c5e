"""The citizen wallet: a PIN-protected store of SD-JWT VCs, receiving them by OID4VCI
and presenting them by OID4VP, with the citizen's consent and a log of every showing.

The wallet never accepts or shows anything silently: ``preview_offer`` and
``preview_request`` say who asks and what, with warnings for unknown or untrusted
parties; only ``accept_offer`` and ``respond`` act, and they refuse while a warning has
not been acknowledged.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
from jwcrypto import jwk

from govchain.citizen_wallet import _protocols as proto
from govchain.citizen_wallet._aries import HolderAgent
from govchain.citizen_wallet._links import LinkKind
from govchain.citizen_wallet._scan import read_link
from govchain.citizen_wallet._store import (
    BACKUP_FORMAT,
    Vault,
    decrypt_document,
    encrypt_document,
)
from govchain.citizen_wallet.errors import (
    CredentialNotFoundError,
    NoMatchingCredentialError,
    OfferError,
    PendingNotFoundError,
    PresentationRequestError,
    WalletCorruptError,
    WalletError,
    WalletExistsError,
    WalletLockedError,
    WarningsNotAcknowledgedError,
)
from govchain.citizen_wallet.settings import WalletSettings
from govchain.credentials import (
    SigningKey,
    StatusReference,
    StatusSource,
    TrustSource,
    disclosable_claims,
    present_credential,
    stored_claims,
)
from govchain.credentials.dids import Did
from govchain.credentials.display import claim_label_de, claim_path_text, format_claim_value_de
from govchain.credentials.errors import (
    CredentialsError,
    StatusUnavailableError,
    TrustUnavailableError,
)
from govchain.credentials.sd_jwt import ClaimPath
from govchain.errors import GovchainError
from govchain.settings import Environment

if TYPE_CHECKING:
    from govchain.citizen_wallet.aries import DidcommPath

__all__ = [
    "LDP_VC_FORMAT",
    "SD_JWT_FORMAT",
    "CitizenWallet",
    "DisclosedClaim",
    "LiveStatus",
    "LogEntry",
    "LogOutcome",
    "OfferPreview",
    "PresentationOutcome",
    "RequestPreview",
    "StoredCredential",
    "TypeDisplay",
    "open_wallet",
]

logger = logging.getLogger(__name__)

MIN_PIN_LENGTH: Final = 6
_DOCUMENT_VERSION: Final = 1
SD_JWT_FORMAT: Final = "dc+sd-jwt"
LDP_VC_FORMAT: Final = "ldp_vc"


class LiveStatus(StrEnum):
    """A credential's status as the chain tells it now."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    UNAVAILABLE = "unavailable"  # the chain could not be read: never shown as valid
    UNKNOWN = "unknown"  # no chain configured or no status entry

    @property
    def label_de(self) -> str:
        """The German label."""
        return {
            LiveStatus.VALID: "gültig",
            LiveStatus.SUSPENDED: "ausgesetzt",
            LiveStatus.REVOKED: "widerrufen",
            LiveStatus.UNAVAILABLE: "Status nicht abrufbar",
            LiveStatus.UNKNOWN: "Status unbekannt",
        }[self]


class LogOutcome(StrEnum):
    """What became of a presentation request."""

    SHARED = "shared"
    REFUSED = "refused"
    FAILED = "failed"
    AUTO = "auto"  # the holder agent answered on its own, before the wallet could ask

    @property
    def label_de(self) -> str:
        """The German label."""
        return {
            "shared": "geteilt",
            "refused": "abgelehnt",
            "failed": "fehlgeschlagen",
            "auto": "ohne Rückfrage vom Agenten beantwortet",
        }[self]


@dataclass(frozen=True)
class TypeDisplay:
    """How an offered credential type is shown before accepting."""

    configuration_id: str
    vct: str
    name_de: str
    description_de: str
    claim_labels_de: tuple[str, ...]


@dataclass(frozen=True)
class OfferPreview:
    """An offer as the citizen sees it before accepting (nothing stored yet)."""

    id: str
    issuer_url: str
    issuer_name_de: str
    known_issuer: bool
    types: tuple[TypeDisplay, ...]
    tx_code_required: bool
    tx_code_description: str | None
    warnings: tuple[str, ...]


_BOOKKEEPING_CLAIMS = frozenset(
    {"_sd_alg", "cnf", "status", "iss", "iat", "nbf", "exp", "vct", "sub"}
)


@dataclass(frozen=True)
class StoredCredential:
    """A credential in the wallet, with what the wallet shows of it."""

    id: str
    vct: str
    name_de: str
    issuer_url: str
    issuer_name_de: str
    issuer_did: str
    received_at: int
    claims: dict[str, Any]
    warnings: tuple[str, ...]
    status: StatusReference | None
    format: str = SD_JWT_FORMAT  # or LDP_VC_FORMAT: a DIDComm credential in the sub-wallet

    @property
    def via_didcomm(self) -> bool:
        """Whether the credential came over DIDComm and lives in the holder sub-wallet."""
        return self.format == LDP_VC_FORMAT

    def claims_de(self) -> list[tuple[str, str]]:
        """The credential's own claims as German label and value, for the card page
        (JWT and SD-JWT bookkeeping left out)."""
        return [
            (claim_label_de(self.vct, (name,)), format_claim_value_de(self.vct, (name,), value))
            for name, value in self.claims.items()
            if name not in _BOOKKEEPING_CLAIMS
        ]


@dataclass(frozen=True)
class DisclosedClaim:
    """One claim a presentation would disclose: its path, German label and value."""

    path: ClaimPath
    label_de: str
    value: str


@dataclass(frozen=True)
class RequestPreview:
    """A presentation request as the citizen sees it before consenting."""

    id: str
    client_id: str
    verifier_name_de: str
    known_verifier: bool
    credential: StoredCredential
    claims: tuple[DisclosedClaim, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class PresentationOutcome:
    """What happened after consent or refusal."""

    outcome: LogOutcome
    status_code: int | None
    message_de: str


@dataclass(frozen=True)
class LogEntry:
    """One presentation request: who, when, which claims, and what became of it."""

    at: int
    client_id: str
    verifier_name_de: str
    credential_id: str
    vct: str
    claims_de: tuple[str, ...]
    outcome: LogOutcome
    channel: str = "oid4vp"  # or "didcomm" (present-proof 2.0)

    @property
    def when_de(self) -> str:
        """The time as Germans write it (UTC)."""
        return datetime.fromtimestamp(self.at, UTC).strftime("%d.%m.%Y %H:%M UTC")


@dataclass
class _PendingOffer:
    offer: proto.CredentialOffer
    meta: proto.IssuerMetadata
    preview: OfferPreview


@dataclass
class _PendingRequest:
    request: proto.PresentationRequest
    preview: RequestPreview


def _display_de(display: object, key: str = "name") -> str | None:
    if not isinstance(display, list):
        return None
    entries = [d for d in display if isinstance(d, Mapping)]
    for entry in entries:
        if str(entry.get("locale", "")).startswith("de") and isinstance(entry.get(key), str):
            return str(entry[key])
    for entry in entries:
        if isinstance(entry.get(key), str):
            return str(entry[key])
    return None


def _value_at(vct: str, claims: Any, path: ClaimPath) -> str:
    """The claim at ``path`` in German, as the verifier would show it ("-" if absent)."""
    value = claims
    for key in path:
        if key is None:
            break
        if not isinstance(value, Mapping) or key not in value:
            return "-"
        value = value[key]
    return format_claim_value_de(vct, path, value)


class CitizenWallet:
    """One citizen's wallet in a directory.

    Args:
        directory: where the encrypted wallet lives.
        http: the client for issuers and verifiers (if not given: ``proto.http_client``
            allowing loopback, as in development; ``open_wallet`` refuses loopback
            outside development).
        known_issuers: issuer URLs the citizen trusts, with display names.
        known_verifiers: verifier client_ids the citizen knows, with display names.
        status: where live status is read (the chain's StatusRegistry), if anywhere.
        trust: where issuer trust is read (the chain's TrustRegistry), if anywhere.
        clock: unix seconds (throttle, logs, trust look-ups).
        scrypt_n: scrypt's cost for new wallets and backups.
        allow_http: accept http:// issuers and verifiers (development).
        holder_agent: the multitenant holder agent for the DIDComm path, if any.
        known_agents: DIDComm service endpoints or DIDs the citizen knows, with names.
    """

    def __init__(
        self,
        directory: Path,
        *,
        http: httpx.Client | None = None,
        known_issuers: Mapping[str, str] | None = None,
        known_verifiers: Mapping[str, str] | None = None,
        status: StatusSource | None = None,
        trust: TrustSource | None = None,
        clock: Callable[[], float] = time.time,
        scrypt_n: int = 2**15,
        allow_http: bool = True,
        holder_agent: HolderAgent | None = None,
        known_agents: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.http = http or proto.http_client(15, allow_loopback=True)
        self.known_issuers = {k.rstrip("/"): v for k, v in (known_issuers or {}).items()}
        self.known_verifiers = dict(known_verifiers or {})
        self.status_source = status
        self.trust_source = trust
        self.clock = clock
        self.scrypt_n = scrypt_n
        self.allow_http = allow_http
        self._vault = Vault(directory, clock=clock)
        self._doc: dict[str, Any] | None = None
        self._offers: dict[str, _PendingOffer] = {}
        self._requests: dict[str, _PendingRequest] = {}
        self._untrusted: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
        from govchain.citizen_wallet.aries import DidcommPath  # noqa: PLC0415 (it uses this module)

        self.didcomm: DidcommPath = DidcommPath(self, holder_agent, known_agents or {})

    # --- life cycle -------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        """Whether a wallet lives in the directory."""
        return self._vault.exists

    @property
    def unlocked(self) -> bool:
        """Whether the wallet is open."""
        return self._doc is not None

    def create(self, pin: str) -> None:
        """A new, empty wallet under ``pin`` (at least six characters); left unlocked."""
        _check_new_pin(pin)
        document: dict[str, Any] = {"version": _DOCUMENT_VERSION, "credentials": {}, "log": []}
        self._vault.create(pin, document, scrypt_n=self.scrypt_n)
        self._doc = document

    def unlock(self, pin: str) -> None:
        """Open the wallet; a wrong PIN raises WrongPinError and is counted, repeated
        wrong PINs make it raise WalletThrottledError for a growing time."""
        self._doc = self._vault.unlock(pin)

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """Protect the wallet with ``new_pin`` instead of ``old_pin``.

        The new PIN must follow the rules of a new wallet (checked before the old one is
        tried, so a typo there costs no try). The old PIN is verified against the file
        on disk, counted and throttled exactly like unlocking. Everything in the wallet
        is re-encrypted and written in one atomic step: a crash or a failed write leaves
        the wallet under the old PIN, never under neither. Afterwards the wallet is open
        (under the new PIN), locked or not before.
        """
        _check_new_pin(new_pin)
        if new_pin == old_pin:
            raise WalletError(
                "The new PIN is the same as the old one.",
                "Die neue PIN ist dieselbe wie die alte.",
            )
        self._doc = self._vault.change_pin(old_pin, new_pin, scrypt_n=self.scrypt_n)

    def lock(self) -> None:
        """Close the wallet: forget the key, the contents and every open preview."""
        self._vault.lock()
        self._doc = None
        self._offers.clear()
        self._requests.clear()
        self._untrusted.clear()
        self.didcomm.forget()

    def close(self) -> None:
        """Lock and release the HTTP client."""
        self.lock()
        self.http.close()

    @property
    def wrong_pin_count(self) -> int:
        """Wrong PINs in a row (kept on disk)."""
        return self._vault.throttle.failures

    def _document(self) -> dict[str, Any]:
        if self._doc is None:
            raise WalletLockedError()
        return self._doc

    def _save(self) -> None:
        self._vault.save(self._document())

    # --- credentials ------------------------------------------------------------------

    def _stored(self, entry: Mapping[str, Any]) -> StoredCredential:
        status: StatusReference | None = None
        payload = entry.get("payload", {})
        if "status" in payload:
            try:
                status = StatusReference.from_claim(payload["status"])
            except CredentialsError:
                status = None
        fmt = entry.get("format", SD_JWT_FORMAT)
        return StoredCredential(
            id=entry["id"],
            vct=entry["vct"],
            name_de=entry["name_de"],
            issuer_url=entry["issuer_url"],
            issuer_name_de=entry["issuer_name_de"],
            issuer_did=entry["issuer_did"],
            received_at=entry["received_at"],
            claims=stored_claims(entry["credential"])
            if fmt == SD_JWT_FORMAT
            else dict(entry["claims"]),
            warnings=tuple(entry.get("warnings", ())),
            status=status,
            format=fmt,
        )

    def credentials(self) -> list[StoredCredential]:
        """Every credential in the wallet, newest first."""
        entries = self._document()["credentials"].values()
        return sorted((self._stored(e) for e in entries), key=lambda c: -c.received_at)

    def credential(self, credential_id: str) -> StoredCredential:
        """One credential by id."""
        return self._stored(self._entry(credential_id))

    def _entry(self, credential_id: str) -> dict[str, Any]:
        entry = self._document()["credentials"].get(credential_id)
        if entry is None:
            raise CredentialNotFoundError(credential_id)
        result: dict[str, Any] = entry
        return result

    def delete(self, credential_id: str) -> None:
        """Remove a credential and its holder key for good (the log keeps its entries);
        a DIDComm credential is removed from the holder sub-wallet first."""
        entry = self._entry(credential_id)
        if entry.get("format") == LDP_VC_FORMAT:
            self.didcomm.remove_stored(entry)
        del self._document()["credentials"][credential_id]
        self._save()

    def live_status(self, credential_id: str) -> LiveStatus:
        """The credential's status on chain now: valid, suspended or revoked; UNKNOWN
        without a status source, UNAVAILABLE when the chain cannot be read."""
        stored = self.credential(credential_id)
        if self.status_source is None or stored.status is None:
            return LiveStatus.UNKNOWN
        try:
            value = self.status_source.status(stored.status.uri, stored.status.index)
        except (StatusUnavailableError, CredentialsError, GovchainError):
            logger.warning("status of %s unavailable", credential_id, exc_info=True)
            return LiveStatus.UNAVAILABLE
        return LiveStatus(value.name.lower())

    # --- receiving --------------------------------------------------------------------

    def preview_offer_photo(self, photo: bytes) -> OfferPreview:
        """Read the offer link from a photo of its QR code, then exactly as
        ``preview_offer``; a photo without one usable offer link keeps nothing."""
        self._document()
        return self.preview_offer(read_link(photo, LinkKind.OFFER))

    def preview_offer(self, offer_uri: str) -> OfferPreview:
        """Resolve an offer and the issuer's metadata and say what would be received,
        from whom, with warnings; nothing is redeemed or stored."""
        self._document()
        offer = proto.parse_offer(offer_uri, self.http, allow_http=self.allow_http)
        meta = proto.IssuerMetadata.fetch(
            self.http, offer.credential_issuer, allow_http=self.allow_http
        )
        types: list[TypeDisplay] = []
        for cid in offer.configuration_ids:
            config = meta.configurations.get(cid)
            if not isinstance(config, Mapping) or config.get("format") != "dc+sd-jwt":
                raise OfferError(
                    f"The issuer does not describe the offered type {cid[:60]!r}.",
                    f"Die Stelle beschreibt den angebotenen Typ {cid[:60]!r} nicht.",
                )
            cmeta = config.get("credential_metadata", {})
            display = cmeta.get("display") if isinstance(cmeta, Mapping) else None
            labels = tuple(
                _display_de(c.get("display")) or claim_path_text(tuple(c.get("path", [])))
                for c in (cmeta.get("claims", []) if isinstance(cmeta, Mapping) else [])
                if isinstance(c, Mapping)
            )
            types.append(
                TypeDisplay(
                    configuration_id=cid,
                    vct=str(config.get("vct", "")),
                    name_de=_display_de(display) or cid,
                    description_de=_display_de(display, "description") or "",
                    claim_labels_de=labels,
                )
            )
        known_name = self.known_issuers.get(offer.credential_issuer)
        claimed_name = _display_de(meta.display) or offer.credential_issuer
        warnings: list[str] = []
        if known_name is None:
            warnings.append(
                f"Unbekannte Ausstellerin: {offer.credential_issuer} steht nicht auf Ihrer "
                f"Liste vertrauenswürdiger Stellen. Sie nennt sich „{claimed_name}“; "
                "das ist nicht geprüft."
            )
        if offer.credential_issuer.startswith("http://"):
            warnings.append("Die Verbindung zur Ausstellerin ist nicht verschlüsselt (http).")
        tx = offer.tx_code
        preview = OfferPreview(
            id=secrets.token_urlsafe(16),
            issuer_url=offer.credential_issuer,
            issuer_name_de=known_name or claimed_name,
            known_issuer=known_name is not None,
            types=tuple(types),
            tx_code_required=tx is not None,
            tx_code_description=str(tx.get("description"))
            if tx and tx.get("description")
            else None,
            warnings=tuple(warnings),
        )
        self._offers[preview.id] = _PendingOffer(offer, meta, preview)
        return preview

    def accept_offer(
        self,
        preview_id: str,
        tx_code: str | None = None,
        *,
        acknowledge_warnings: bool = False,
        accept_untrusted_issuer: bool = False,
    ) -> list[StoredCredential]:
        """Redeem a previewed offer: a fresh holder key per credential, proof of
        possession, and each credential checked (signature, type, binding) before it is
        stored.

        When a chain is configured and its TrustRegistry does not vouch for the issuer's
        DID, the received credentials are held back (in memory only) and
        WarningsNotAcknowledgedError names the problem; calling again with
        ``accept_untrusted_issuer`` stores them, locking the wallet drops them.

        Raises:
            WarningsNotAcknowledgedError: the preview's warnings were not acknowledged,
                or the chain does not trust the issuer (see above).
        """
        self._document()
        held = self._untrusted.get(preview_id)
        if held is not None:
            if not accept_untrusted_issuer:
                raise WarningsNotAcknowledgedError(held[1])
            del self._untrusted[preview_id]
            return self._keep(held[0])
        pending = self._offers.get(preview_id)
        if pending is None:
            raise PendingNotFoundError(preview_id)
        preview = pending.preview
        if preview.warnings and not acknowledge_warnings:
            raise WarningsNotAcknowledgedError(list(preview.warnings))
        if preview.tx_code_required and not tx_code:
            raise OfferError(
                "This offer needs the transaction code the office gave you.",
                "Für dieses Angebot ist der Transaktionscode der Behörde nötig.",
            )
        del self._offers[preview_id]  # a pre-authorized code is used once, right or wrong
        fresh = {t.configuration_id: _new_holder_key() for t in preview.types}
        keys = {cid: key for cid, (key, _) in fresh.items()}
        issued = proto.redeem(
            self.http, pending.offer, pending.meta, tx_code, keys, now=int(self.clock())
        )
        entries: list[dict[str, Any]] = []
        trust_warnings: list[str] = []
        for display in preview.types:
            credential = issued[display.configuration_id]
            key = keys[display.configuration_id]
            payload = proto.verify_issued(credential, key, display.vct)
            warnings = list(preview.warnings)
            trust_warning = self._trust_warning(str(payload["iss"]), display.vct, payload)
            if trust_warning is not None:
                trust_warnings.append(trust_warning)
                warnings.append(trust_warning)
            entries.append(
                {
                    "id": secrets.token_urlsafe(12),
                    "credential": credential,
                    "holder_jwk": fresh[display.configuration_id][1],
                    "configuration_id": display.configuration_id,
                    "vct": display.vct,
                    "name_de": display.name_de,
                    "issuer_url": preview.issuer_url,
                    "issuer_name_de": preview.issuer_name_de,
                    "issuer_did": str(payload["iss"]),
                    "received_at": int(self.clock()),
                    "payload": {k: payload[k] for k in ("status", "iat", "exp") if k in payload},
                    "warnings": warnings,
                }
            )
        if trust_warnings and not accept_untrusted_issuer:
            self._untrusted[preview_id] = (entries, trust_warnings)
            raise WarningsNotAcknowledgedError(trust_warnings)
        return self._keep(entries)

    def _keep(self, entries: list[dict[str, Any]]) -> list[StoredCredential]:
        document = self._document()
        for entry in entries:
            document["credentials"][entry["id"]] = entry
        self._save()
        return [self._stored(e) for e in entries]

    def _trust_warning(self, did: str, vct: str, payload: Mapping[str, Any]) -> str | None:
        """A German warning when the chain does not vouch for the issuer's DID."""
        if self.trust_source is None:
            return None
        at = payload.get("iat")
        try:
            verdict = self.trust_source.trust_at(
                Did(did), vct, at if isinstance(at, int) else int(self.clock())
            )
        except (TrustUnavailableError, GovchainError):
            return "Die Vertrauensliste der Kette ist nicht erreichbar; Ausstellerin ungeprüft."
        if verdict.trusted:
            return None
        return (
            f"Die Ausstellerin {did[:40]}… ist im Vertrauensregister der Kette nicht für "
            f"diesen Nachweis zugelassen ({verdict.outcome.value})."
        )

    # --- presenting -------------------------------------------------------------------

    def preview_request_photo(
        self, photo: bytes, credential_id: str | None = None
    ) -> RequestPreview:
        """Read the request link from a photo of the verifier's QR code, then exactly as
        ``preview_request``; a photo without one usable request link keeps nothing."""
        self._document()
        return self.preview_request(read_link(photo, LinkKind.REQUEST), credential_id)

    def preview_request(self, request_uri: str, credential_id: str | None = None) -> RequestPreview:
        """Fetch and verify a presentation request and say exactly what would be shown
        to whom; nothing is sent."""
        document = self._document()
        request = proto.fetch_request(
            self.http, request_uri, allow_http=self.allow_http, now=self.clock()
        )
        vcts = request.vct_values
        matching = [
            e
            for e in document["credentials"].values()
            if (not vcts or e["vct"] in vcts)
            and (credential_id in (None, e["id"]))
            and e.get("format", SD_JWT_FORMAT) == SD_JWT_FORMAT
        ]
        if not matching:
            raise NoMatchingCredentialError(vcts)
        entry = max(matching, key=lambda e: e["received_at"])
        stored = self._stored(entry)
        available = set(disclosable_claims(entry["credential"]))
        claims: list[DisclosedClaim] = []
        for path in request.requested:
            label = claim_label_de(entry["vct"], path)
            value = _value_at(entry["vct"], stored.claims, path)
            shown_always = path not in available and not any(
                a[: len(path)] == path for a in available
            )
            claims.append(
                DisclosedClaim(path, label + (" (immer sichtbar)" if shown_always else ""), value)
            )
        known_name = self.known_verifiers.get(request.client_id)
        metadata = request.payload.get("client_metadata", {})
        claimed = metadata.get("client_name") if isinstance(metadata, Mapping) else None
        warnings: list[str] = []
        if known_name is None:
            warnings.append(
                "Unbekannte Prüfstelle: diese Kennung steht nicht auf Ihrer Liste bekannter "
                "Prüfstellen. Zeigen Sie nur vor, wenn Sie wissen, wer fragt."
            )
        if str(request.payload["response_uri"]).startswith("http://"):
            warnings.append("Die Antwort würde unverschlüsselt (http) gesendet.")
        for warning in stored.warnings:
            warnings.append(f"Zum Nachweis: {warning}")
        preview = RequestPreview(
            id=secrets.token_urlsafe(16),
            client_id=request.client_id,
            verifier_name_de=known_name
            or (
                f"„{claimed}“ (nicht geprüft)"
                if isinstance(claimed, str)
                else "Unbekannte Prüfstelle"
            ),
            known_verifier=known_name is not None,
            credential=stored,
            claims=tuple(claims),
            warnings=tuple(warnings),
        )
        self._requests[preview.id] = _PendingRequest(request, preview)
        return preview

    def respond(
        self, preview_id: str, *, consent: bool, acknowledge_warnings: bool = False
    ) -> PresentationOutcome:
        """Share exactly the previewed claims (consent) or refuse; either way logged."""
        self._document()
        pending = self._requests.get(preview_id)
        if pending is None:
            raise PendingNotFoundError(preview_id)
        preview = pending.preview
        if consent and preview.warnings and not acknowledge_warnings:
            raise WarningsNotAcknowledgedError(list(preview.warnings))
        del self._requests[preview_id]
        if not consent:
            self._log(preview, LogOutcome.REFUSED)
            return PresentationOutcome(LogOutcome.REFUSED, None, "Sie haben abgelehnt.")
        entry = self._entry(preview.credential.id)
        key = SigningKey.from_private_jwk(entry["holder_jwk"])
        presentation = present_credential(
            entry["credential"],
            disclose=[c.path for c in preview.claims],
            holder_key=key,
            nonce=str(pending.request.payload["nonce"]),
            audience=pending.request.client_id,
            issued_at=int(self.clock()),
        )
        try:
            response = proto.post_presentation(self.http, pending.request, presentation)
        except PresentationRequestError:
            self._log(preview, LogOutcome.FAILED)
            raise
        if response.status_code == 200:
            self._log(preview, LogOutcome.SHARED)
            return PresentationOutcome(
                LogOutcome.SHARED, 200, f"Vorgezeigt bei {preview.verifier_name_de}."
            )
        self._log(preview, LogOutcome.FAILED)
        detail = ""
        try:
            body = response.json()
            detail = str(body.get("detail_de") or body.get("error_description") or "")
        except ValueError:
            pass
        return PresentationOutcome(
            LogOutcome.FAILED,
            response.status_code,
            f"Die Prüfstelle nahm die Antwort nicht an ({response.status_code}) {detail}".strip(),
        )

    def _log(self, preview: RequestPreview, outcome: LogOutcome) -> None:
        self._document()["log"].append(
            {
                "at": int(self.clock()),
                "client_id": preview.client_id,
                "verifier_name_de": preview.verifier_name_de,
                "credential_id": preview.credential.id,
                "vct": preview.credential.vct,
                "claims_de": [c.label_de for c in preview.claims],
                "outcome": outcome.value,
            }
        )
        self._save()

    def log(self) -> list[LogEntry]:
        """Every presentation request answered, newest first."""
        return [
            LogEntry(
                at=e["at"],
                client_id=e["client_id"],
                verifier_name_de=e["verifier_name_de"],
                credential_id=e["credential_id"],
                vct=e["vct"],
                claims_de=tuple(e["claims_de"]),
                outcome=LogOutcome(e["outcome"]),
                channel=e.get("channel", "oid4vp"),
            )
            for e in reversed(self._document()["log"])
        ]

    # --- backup -----------------------------------------------------------------------

    def export_backup(self, path: Path, passphrase: str) -> None:
        """Write the whole wallet, encrypted under ``passphrase`` (own salt), to ``path``."""
        if len(passphrase) < MIN_PIN_LENGTH:
            raise WalletError(
                f"The backup passphrase needs at least {MIN_PIN_LENGTH} characters.",
                f"Die Passphrase der Sicherung braucht mindestens {MIN_PIN_LENGTH} Zeichen.",
            )
        sealed = encrypt_document(
            self._document(), passphrase, fmt=BACKUP_FORMAT, scrypt_n=self.scrypt_n
        )
        path.write_text(json.dumps(sealed), encoding="utf-8")
        path.chmod(0o600)

    def restore_backup(self, path: Path, passphrase: str, pin: str) -> None:
        """Create this wallet from a backup, under a (new) PIN; refuses to overwrite an
        existing wallet. A wrong passphrase raises WrongPinError."""
        if self.exists:
            raise WalletExistsError(str(self.directory))
        try:
            sealed = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise WalletCorruptError(path.name) from err
        document = decrypt_document(sealed, passphrase, fmt=BACKUP_FORMAT, what=path.name)
        if document.get("version") != _DOCUMENT_VERSION or not isinstance(
            document.get("credentials"), dict
        ):
            raise WalletCorruptError(path.name)
        self.create(pin)
        self._doc = document
        self._save()


def _check_new_pin(pin: str) -> None:
    """The rules for a PIN chosen at set-up or when changing it."""
    if len(pin) < MIN_PIN_LENGTH:
        raise WalletError(
            f"The PIN needs at least {MIN_PIN_LENGTH} characters.",
            f"Die PIN braucht mindestens {MIN_PIN_LENGTH} Zeichen.",
        )


def _new_holder_key() -> tuple[SigningKey, dict[str, Any]]:
    """A fresh P-256 holder key and its private JWK, which only the vault keeps."""
    private = jwk.JWK.generate(kty="EC", crv="P-256")
    exported: dict[str, Any] = private.export_private(as_dict=True)
    return SigningKey(private), exported


def open_wallet(
    settings: WalletSettings,
    *,
    status: StatusSource | None = None,
    trust: TrustSource | None = None,
    clock: Callable[[], float] = time.time,
    holder_agent: HolderAgent | None = None,
) -> CitizenWallet:
    """The wallet of the settings; with ``wallet_use_chain`` status and trust come from
    the recorded deployment on the configured node unless given."""
    if settings.wallet_use_chain and (status is None or trust is None):
        from govchain.chain.backends import create_backend  # noqa: PLC0415 (chain is optional)
        from govchain.chain.deployment import Deployment, DeploymentStore  # noqa: PLC0415
        from govchain.chain.gateway import ChainGateway  # noqa: PLC0415
        from govchain.credentials import ChainStatusSource, ChainTrustSource  # noqa: PLC0415

        gateway = ChainGateway(create_backend(settings))
        deployment = Deployment.attach(gateway, DeploymentStore(settings.chain_dir).load())
        status = status or ChainStatusSource(deployment.status, max_age=0)
        trust = trust or ChainTrustSource(deployment.trust, max_age=0)
    return CitizenWallet(
        settings.wallet_dir,
        http=proto.http_client(
            settings.wallet_http_timeout_seconds,
            allow_loopback=settings.environment is Environment.DEVELOPMENT,
        ),
        known_issuers=settings.wallet_known_issuers,
        known_verifiers=settings.wallet_known_verifiers,
        status=status,
        trust=trust,
        clock=clock,
        scrypt_n=settings.wallet_scrypt_n,
        allow_http=settings.wallet_allow_http,
        holder_agent=holder_agent if holder_agent is not None else _holder_agent(settings),
        known_agents=settings.wallet_known_agents,
    )


def _holder_agent(settings: WalletSettings) -> HolderAgent | None:
    """The holder agent's admin URL and key from the agents' settings (``GOVCHAIN_AGENTS_``);
    None when they are not valid here (the DIDComm pages then say so)."""
    from pydantic import ValidationError  # noqa: PLC0415

    from govchain.agents.settings import AgentRole, AgentSettings  # noqa: PLC0415

    try:
        agents = AgentSettings(data_dir=settings.data_dir, environment=settings.environment)
    except ValidationError:
        logger.warning("agent settings invalid; the wallet's DIDComm path is off", exc_info=True)
        return None
    return HolderAgent(
        agents.admin_url(AgentRole.HOLDER),
        agents.admin_api_key(AgentRole.HOLDER),
        timeout=settings.wallet_http_timeout_seconds,
    )
