"""The verifier's logic: OID4VP 1.0 requests with DCQL, signed request objects served by
reference, direct_post responses verified against the chain, results kept per request.

The verifier identifies itself with the Client Identifier Prefix
``decentralized_identifier`` (OID4VP 1.0, 5.9): ``client_id`` is
``decentralized_identifier:<did:jwk of its key>``, and every request object is a JWT
(``typ: oauth-authz-req+jwt``) signed with that key, ``kid`` naming the DID's
verification method. A wallet resolves the DID and checks the signature; no X.509
certificate or DNS name is involved.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

from govchain.agents.verification import JsonLdVerifier
from govchain.credentials import (
    Check,
    CheckName,
    CheckOutcome,
    Outcome,
    ReasonCode,
    SigningKey,
    StatusSource,
    TrustSource,
    VerificationRequest,
    VerificationResult,
    Verifier,
    create_did,
)
from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.types import LOCAL_TIMEZONE
from govchain.verifier._snapshot import (
    Snapshot,
    load_snapshot,
    offline_sources,
    offline_use,
    sign_snapshot,
    take_snapshot,
)
from govchain.verifier._store import (
    Channel,
    DidcommStage,
    Failure,
    RequestPhase,
    RequestRow,
    RequestStore,
)
from govchain.verifier.checks import (
    CheckParams,
    FieldCheck,
    dcql_query,
    field_check,
    field_checks,
    missing_claims,
    select_claims,
)
from govchain.verifier.errors import (
    MalformedResponseError,
    OfflineModeOffError,
    ReplayedResponseError,
    RequestExpiredError,
    RequestFailedError,
    RequestNotFoundError,
    SnapshotInvalidError,
    UnknownCheckError,
    UnknownStateError,
)
from govchain.verifier.schemas import result_from_json, result_to_json

__all__ = [
    "CLIENT_ID_PREFIX",
    "REQUEST_OBJECT_TYP",
    "CreatedRequest",
    "StoredRequest",
    "VerifierService",
    "minimise",
]

log = logging.getLogger(__name__)

CLIENT_ID_PREFIX: Final = "decentralized_identifier:"
REQUEST_OBJECT_TYP: Final = "oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
MAX_VP_TOKEN_CHARS: Final = 64_000
API: Final = "/verifier/v1"


@dataclass(frozen=True)
class CreatedRequest:
    """A new request: the official keeps ``request_id``; the wallet scans ``openid4vp_uri``."""

    request_id: str
    check: str
    title_de: str
    openid4vp_uri: str
    request_uri: str
    client_id: str
    expires_at: int


@dataclass(frozen=True)
class StoredRequest:
    """A request as the official's page and the API see it."""

    request_id: str
    check: FieldCheck
    params: CheckParams
    title_de: str
    phase: RequestPhase
    openid4vp_uri: str
    expires_at: int
    result: VerificationResult | None
    offline_as_of: int | None = None
    answered_at: int | None = None
    channel: Channel = Channel.OID4VP
    invitation_url: str | None = None  # DIDComm: the out-of-band invitation (QR code)
    stage: DidcommStage | None = None  # DIDComm: how far a pending exchange got
    failure: Failure | None = None  # DIDComm: why it ended without a result

    @property
    def offline_note_de(self) -> str | None:
        """ "Offline geprüft mit Stand vom <Zeit> (vor N Minuten)" for an offline result."""
        if self.offline_as_of is None:
            return None
        return offline_note_de(self.offline_as_of, self.answered_at or self.offline_as_of)


def offline_note_de(as_of: int, at: int) -> str:
    """The German mark of a result checked against a snapshot, with its age then."""
    stamp = datetime.fromtimestamp(as_of, LOCAL_TIMEZONE).strftime("%d.%m.%Y %H:%M")
    return f"Offline geprüft mit Stand vom {stamp} (vor {max(0, at - as_of) // 60} Minuten)"


class VerifierService:
    """Creates OID4VP requests for field checks and verifies the wallets' responses.

    Args:
        store: where requests and results are kept.
        key: the verifier's signing key (its DID is derived from it).
        base_url: the public URL wallets reach this service at.
        status: status source reading the verifier's own node.
        trust: trust source reading the verifier's own node.
        clock: unix seconds (the verification time and request expiry).
        ttl: seconds a request stays open.
        snapshot_path: where the signed offline snapshot is kept; None: no offline mode.
        snapshot_max_age: seconds an offline snapshot may be old and still be used.
    """

    def __init__(
        self,
        *,
        store: RequestStore,
        key: SigningKey,
        base_url: str,
        status: StatusSource,
        trust: TrustSource,
        clock: Callable[[], float] = time.time,
        ttl: int = 300,
        snapshot_path: Path | None = None,
        snapshot_max_age: int = 43_200,
    ) -> None:
        self.store = store
        self.key = key
        self.did = create_did(key.public_key)
        self.kid = f"{self.did}#0"
        self.client_id = CLIENT_ID_PREFIX + self.did
        self.base_url = base_url.rstrip("/")
        self.response_uri = f"{self.base_url}{API}/responses"
        self._clock = clock
        self.ttl = ttl
        self.snapshot_path = snapshot_path
        self.offline = (
            offline_sources(status, trust, snapshot_max_age, clock) if snapshot_path else None
        )
        if self.offline is not None:
            status, trust = self.offline
            if snapshot_path is not None and snapshot_path.exists():
                try:
                    self.offline[0].fallback.snapshot = load_snapshot(
                        snapshot_path.read_text(), key.public_key
                    )
                except SnapshotInvalidError:
                    log.error("offline snapshot %s refused: bad signature or shape", snapshot_path)
        self.verifier = Verifier(status=status, trust=trust, clock=clock)
        # JSON-LD over DIDComm: ACA-Py's proof check, then the same status, trust,
        # time and policy code on the same (online or snapshot) sources
        self.jsonld_verifier = JsonLdVerifier(status=status, trust=trust, clock=clock)

    def _now(self) -> int:
        return int(self._clock())

    def now(self) -> int:
        """The service's clock (unix seconds): verification time and request expiry."""
        return self._now()

    def request_uri(self, ref: str) -> str:
        """Where the signed request object of ``ref`` is served."""
        return f"{self.base_url}{API}/request-objects/{ref}"

    def openid4vp_uri(self, ref: str) -> str:
        """The QR code's content: ``openid4vp://?client_id=...&request_uri=...``."""
        query = urlencode(
            {"client_id": self.client_id, "request_uri": self.request_uri(ref)}, quote_via=quote
        )
        return f"openid4vp://?{query}"

    # --- requests ----------------------------------------------------------------------

    def create_request(
        self, check_name: str, params: Mapping[str, Any], *, internal: bool = False
    ) -> CreatedRequest:
        """A new request for one check; fresh id, reference, state and nonce.

        ``internal`` allows the unlisted checks only the service itself starts (the
        BürgerID login); officials and the API never can.
        """
        check, parsed, row = self.new_row(check_name, params, internal=internal)
        self.store.add(row)
        log.info("verification request %s created for check %s", row.id[:8], check.name)
        return CreatedRequest(
            request_id=row.id,
            check=check.name,
            title_de=check.title_de(parsed),
            openid4vp_uri=self.openid4vp_uri(row.ref),
            request_uri=self.request_uri(row.ref),
            client_id=self.client_id,
            expires_at=row.expires_at,
        )

    def new_row(
        self, check_name: str, params: Mapping[str, Any], *, internal: bool = False
    ) -> tuple[FieldCheck, CheckParams, RequestRow]:
        """A new, not yet stored request for a check (validated), with fresh random id,
        reference, state and nonce; UnknownCheckError / CheckParameterError otherwise."""
        check = field_check(check_name)
        if not check.listed and not internal:
            raise UnknownCheckError(check_name, [c.name for c in field_checks()])
        parsed = check.params(params)
        now = self._now()
        row = RequestRow(
            id=secrets.token_urlsafe(24),
            ref=secrets.token_urlsafe(24),
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            check=check.name,
            params=parsed.model_dump(mode="json", exclude_none=True),
            created_at=now,
            expires_at=now + self.ttl,
            answered=False,
            answered_at=None,
            result=None,
        )
        return check, parsed, row

    def request_object(self, ref: str) -> str:
        """The signed request object (``oauth-authz-req+jwt``) the QR code refers to."""
        row = self.store.by_ref(ref)
        if row is None or self.store.didcomm(row.id) is not None:
            raise RequestNotFoundError(ref)  # a DIDComm check has no request object
        now = self._now()
        if row.phase(now) is not RequestPhase.PENDING:
            raise RequestExpiredError(row.id)
        check = field_check(row.check)
        params = check.params(row.params)
        payload = {
            "iss": self.client_id,
            "aud": SELF_ISSUED_AUDIENCE,
            "iat": now,
            "exp": row.expires_at,
            "client_id": self.client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": self.response_uri,
            "nonce": row.nonce,
            "state": row.state,
            "dcql_query": dcql_query(check, params),
            "client_metadata": {
                "vp_formats_supported": {
                    "dc+sd-jwt": {
                        "sd-jwt_alg_values": ["ES256", "EdDSA"],
                        "kb-jwt_alg_values": ["ES256", "EdDSA"],
                    }
                }
            },
        }
        return sign_compact_jws({"typ": REQUEST_OBJECT_TYP, "kid": self.kid}, payload, self.key)

    # --- responses ---------------------------------------------------------------------

    def receive_response(self, state: str | None, vp_token: str | None) -> str:
        """Verify a wallet's direct_post and store the result with its request.

        Protocol faults (unknown state, a second response, an expired request, a
        vp_token that is not this request's DCQL shape) are refused and change nothing.
        A readable presentation that fails verification is stored as a red result.

        Returns:
            the request id.
        """
        if not state:
            raise UnknownStateError()
        row = self.store.by_state(state)
        if row is None:
            raise UnknownStateError()
        now = self._now()
        phase = row.phase(now)
        if phase is RequestPhase.ANSWERED:
            log.warning("replayed response for request %s refused", row.id[:8])
            raise ReplayedResponseError(row.id)
        if phase is RequestPhase.EXPIRED:
            raise RequestExpiredError(row.id)
        check = field_check(row.check)
        params = check.params(row.params)
        presentation = _presentation(vp_token, check.name)
        marker = offline_use.set(None)
        try:
            result = self.verifier.verify(
                presentation,
                VerificationRequest(
                    nonce=row.nonce,
                    audience=self.client_id,
                    at=now,
                    context=check.context(params),
                    expected_vct=check.vct,
                ),
            )
            as_of = offline_use.get()
        finally:
            offline_use.reset(marker)
        minimal = minimise(result, check.claims(params))
        stored = result_to_json(minimal)
        if as_of is not None:
            stored["offline_as_of"] = as_of
        if not self.store.answer(row.id, stored, now):
            raise ReplayedResponseError(row.id)  # a concurrent response won the race
        log.info("request %s answered: %s", row.id[:8], minimal.outcome.value)
        return row.id

    def receive_presentation(
        self,
        request_id: str,
        presented: Sequence[tuple[bool, Mapping[str, Any], Mapping[str, Any]]],
        *,
        challenge: str,
        audience: str,
    ) -> VerificationResult | None:
        """Verify a JSON-LD presentation that came over DIDComm and store the result.

        ``presented`` holds, per credential in the presentation, whether ACA-Py verified
        the proofs, the presentation and the credential. The chain checks and the type
        policy are the SD-JWT path's (``JsonLdVerifier``); the result is minimised to the
        check's claims like an OID4VP answer. The first valid credential counts, else the
        first one. Returns None if the request was answered, failed or expired meanwhile.
        """
        row = self.store.by_id(request_id)
        if row is None:
            raise RequestNotFoundError(request_id)
        check = field_check(row.check)
        params = check.params(row.params)
        now = self._now()
        request = VerificationRequest(
            nonce=challenge,
            audience=audience,  # ACA-Py checked the challenge in the presentation's proof
            at=now,
            context=check.context(params),
            expected_vct=check.vct,
        )
        marker = offline_use.set(None)
        try:
            results = [
                self.jsonld_verifier.verify_presented(verified, presentation, credential, request)
                for verified, presentation, credential in (presented or [(False, {}, {})])
            ]
            as_of = offline_use.get()
        finally:
            offline_use.reset(marker)
        result = next((r for r in results if r.valid), results[0])
        minimal = minimise(result, check.claims(params))
        stored = result_to_json(minimal)
        if as_of is not None:
            stored["offline_as_of"] = as_of
        if not self.store.answer_didcomm(request_id, stored, now):
            return None
        log.info("request %s answered over DIDComm: %s", request_id[:8], minimal.outcome.value)
        return minimal

    def fail(self, request_id: str, failure: Failure) -> bool:
        """Mark a pending DIDComm request failed; False if it had ended already."""
        failed = self.store.fail(request_id, failure, self._now())
        if failed:
            log.warning("DIDComm request %s failed: %s", request_id[:8], failure.message)
        return failed

    # --- results -----------------------------------------------------------------------

    def get(self, request_id: str) -> StoredRequest:
        """A request with its phase and, once answered, its result."""
        row = self.store.by_id(request_id)
        if row is None:
            raise RequestNotFoundError(request_id)
        check = field_check(row.check)
        params = check.params(row.params)
        didcomm = self.store.didcomm(row.id)
        failure = didcomm.failure if didcomm is not None else None
        return StoredRequest(
            request_id=row.id,
            check=check,
            params=params,
            title_de=check.title_de(params),
            phase=row.phase(self._now(), failed=failure is not None),
            openid4vp_uri=self.openid4vp_uri(row.ref),
            expires_at=row.expires_at,
            result=result_from_json(row.result) if row.result is not None else None,
            offline_as_of=row.result.get("offline_as_of") if row.result is not None else None,
            answered_at=row.answered_at,
            channel=Channel.DIDCOMM if didcomm is not None else Channel.OID4VP,
            invitation_url=didcomm.invitation_url if didcomm is not None else None,
            stage=didcomm.stage if didcomm is not None else None,
            failure=failure,
        )

    def result(self, request_id: str) -> VerificationResult | None:
        """The result, or None while pending; RequestExpiredError if it was never answered,
        RequestFailedError if a DIDComm check was aborted."""
        stored = self.get(request_id)
        if stored.phase is RequestPhase.EXPIRED:
            raise RequestExpiredError(request_id)
        if stored.phase is RequestPhase.FAILED and stored.failure is not None:
            raise RequestFailedError(request_id, stored.failure.message, stored.failure.message_de)
        return stored.result

    # --- offline snapshot ----------------------------------------------------------------

    def export_snapshot(self) -> str:
        """Read the lists and issuers seen so far from the chain now, sign the snapshot
        with the verifier's key, keep it (file and memory) and return the JWT."""
        if self.offline is None or self.snapshot_path is None:
            raise OfflineModeOffError()
        status, trust = self.offline
        snapshot = take_snapshot(
            status, trust, status.seen.items(), trust.seen.items(), self._now()
        )
        token = sign_snapshot(snapshot, self.key, self.kid)
        self.install_snapshot(token)
        return token

    def install_snapshot(self, token: str) -> Snapshot:
        """Check a snapshot's signature and use it from now on; refused if it does not verify."""
        if self.offline is None or self.snapshot_path is None:
            raise OfflineModeOffError()
        snapshot = load_snapshot(token, self.key.public_key)
        self.snapshot_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.snapshot_path.write_text(token)
        self.offline[0].fallback.snapshot = snapshot
        log.info(
            "offline snapshot of %d lists, %d issuers", len(snapshot.lists), len(snapshot.trust)
        )
        return snapshot


def _presentation(vp_token: str | None, query_id: str) -> str:
    """The one presentation of a DCQL ``vp_token``: ``{"<query id>": ["<SD-JWT+KB>"]}``."""
    if not vp_token:
        raise MalformedResponseError("vp_token is missing")
    if len(vp_token) > MAX_VP_TOKEN_CHARS:
        raise MalformedResponseError("vp_token is too large")
    try:
        token = json.loads(vp_token)
    except (ValueError, RecursionError) as err:
        raise MalformedResponseError("vp_token is not JSON") from err
    if not isinstance(token, dict):
        raise MalformedResponseError("vp_token is not a JSON object keyed by credential query id")
    if set(token) != {query_id}:
        raise MalformedResponseError(
            f"vp_token must hold exactly the credential query {query_id!r}"
        )
    presentations = token[query_id]
    if (
        not isinstance(presentations, list)
        or len(presentations) != 1
        or not isinstance(presentations[0], str)
    ):
        raise MalformedResponseError(f"{query_id!r} must be an array of exactly one presentation")
    return presentations[0]


def minimise(result: VerificationResult, requested: tuple[Any, ...]) -> VerificationResult:
    """Refuse a presentation lacking a requested claim; drop every claim not requested
    (the same for both channels: data minimisation happens here, before anything is
    stored or shown)."""
    if result.claims is None:
        return result
    missing = missing_claims(result.claims, requested)
    checks = result.checks
    outcome = result.outcome
    policy = result.check(CheckName.TYPE_POLICY)
    if missing and policy.outcome is not CheckOutcome.FAILED:
        refused = Check.of(
            CheckName.TYPE_POLICY,
            CheckOutcome.FAILED,
            ReasonCode.CLAIM_NOT_DISCLOSED,
            claim=", ".join(missing),
        )
        checks = tuple(refused if c.name is CheckName.TYPE_POLICY else c for c in checks)
        outcome = Outcome.INVALID
    return dataclasses.replace(
        result, checks=checks, outcome=outcome, claims=select_claims(result.claims, requested)
    )
