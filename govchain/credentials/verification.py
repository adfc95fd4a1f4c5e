"""Verifying an SD-JWT VC presentation: one entry point, one structured result.

``Verifier.verify`` runs seven checks in order: signature, disclosures, holder
binding, time validity, status, trust, type policy. Each ends as a ``Check`` with an
outcome, a reason code and a German and an English message. The overall outcome is

- ``invalid`` if any check failed,
- ``cannot_verify`` if none failed but one could not be made (status list or trust
  registry unreachable, or skipped),
- ``valid`` only if every check passed (or was not required).

If the signature or the disclosures fail, nothing signed can be trusted, so the later
checks are reported as not checked. Otherwise all run, so an officer sees every reason
at once (e.g. expired *and* revoked).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from govchain.chain.types import CredentialStatus, Did, LevelOfAssurance
from govchain.credentials._reasons import CheckName, ReasonCode, messages
from govchain.credentials.dids import resolve_did
from govchain.credentials.errors import (
    ClaimNotDisclosedError,
    DidError,
    InvalidCredentialError,
    StatusReferenceError,
    StatusUnavailableError,
    TrustUnavailableError,
    UnknownCredentialTypeError,
)
from govchain.credentials.formats import SD_JWT_VC_TYP
from govchain.credentials.jose import CompactJws, parse_compact_jws
from govchain.credentials.keys import PublicKey
from govchain.credentials.sd_jwt import (
    Disclosure,
    KeyBindingExpectation,
    SdJwtParts,
    holder_key_of,
    process_disclosures,
    split_sd_jwt,
    verify_key_binding,
)
from govchain.credentials.status import StatusReference, StatusSource
from govchain.credentials.trust import TrustOutcome, TrustSource
from govchain.credentials.types import (
    LOCAL_TIMEZONE,
    CredentialType,
    PolicyContext,
    credential_type,
)

__all__ = [
    "Check",
    "CheckName",
    "CheckOutcome",
    "InMemoryNonceStore",
    "NonceStore",
    "Outcome",
    "ReasonCode",
    "VerificationRequest",
    "VerificationResult",
    "Verifier",
]


class CheckOutcome(StrEnum):
    """How one check ended."""

    PASSED = "passed"
    FAILED = "failed"
    CANNOT_VERIFY = "cannot_verify"
    SKIPPED = "skipped"


class Outcome(StrEnum):
    """How the whole verification ended."""

    VALID = "valid"
    INVALID = "invalid"
    CANNOT_VERIFY = "cannot_verify"


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome, its reason code, and the reason in German and English."""

    name: CheckName
    outcome: CheckOutcome
    reason_code: ReasonCode
    message_de: str
    message_en: str

    @classmethod
    def of(
        cls, name: CheckName, outcome: CheckOutcome, reason: ReasonCode, **details: object
    ) -> Check:
        """A check with its messages filled in from the reason table."""
        message_de, message_en = messages(reason, **details)
        return cls(name, outcome, reason, message_de, message_en)


@dataclass(frozen=True)
class VerificationResult:
    """Everything a verifier needs to act and to explain itself.

    ``claims`` are the disclosed claims (only once signature and disclosures held).
    """

    outcome: Outcome
    checks: tuple[Check, ...]
    vct: str | None = None
    issuer: Did | None = None
    issued_at: int | None = None
    claims: Mapping[str, Any] | None = None

    @property
    def valid(self) -> bool:
        """True only when every check passed."""
        return self.outcome is Outcome.VALID

    def check(self, name: CheckName) -> Check:
        """The check called ``name``."""
        for check in self.checks:
            if check.name is name:
                return check
        raise KeyError(name)

    @property
    def reasons(self) -> list[ReasonCode]:
        """Reason codes of every check that did not pass."""
        return [c.reason_code for c in self.checks if c.outcome is not CheckOutcome.PASSED]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary (without the claims)."""
        return {
            "outcome": self.outcome.value,
            "vct": self.vct,
            "issuer": self.issuer,
            "checks": [
                {
                    "name": c.name.value,
                    "outcome": c.outcome.value,
                    "reason_code": c.reason_code.value,
                    "message_de": c.message_de,
                    "message_en": c.message_en,
                }
                for c in self.checks
            ],
        }


class NonceStore(ABC):
    """Remembers which nonces a verifier has seen, so a presentation works only once."""

    @abstractmethod
    def consume(self, nonce: str, now: int) -> bool:
        """Record ``nonce``; False if it was seen before (a replay)."""


class InMemoryNonceStore(NonceStore):
    """Nonces in memory, forgotten after ``ttl`` seconds (longer than a KB-JWT may be
    old, so a replay is always caught while the KB-JWT would still be fresh)."""

    def __init__(self, ttl: int = 600) -> None:
        self.ttl = ttl
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0

    def consume(self, nonce: str, now: int) -> bool:
        """Record ``nonce``; False for a replay."""
        with self._lock:
            if now >= self._next_sweep:
                self._seen = {n: t for n, t in self._seen.items() if t > now}
                self._next_sweep = now + 60
            expires = self._seen.get(nonce)
            if expires is not None and expires > now:
                return False
            self._seen[nonce] = now + self.ttl
            return True


@dataclass(frozen=True)
class VerificationRequest:
    """What the verifier asked for and knows on the spot.

    Attributes:
        nonce: the nonce it handed to the wallet (needed for holder binding).
        audience: its own identifier, which the KB-JWT's ``aud`` must name.
        at: the verification time (unix seconds); None for now.
        context: what the type policy needs (zone, chip number, minimum level).
        expected_vct: the credential type asked for, if one.
        require_holder_binding: whether a KB-JWT is required (decided before looking
            at the presentation, never because one is or is not present).
    """

    nonce: str | None = None
    audience: str | None = None
    at: int | None = None
    context: PolicyContext = field(default_factory=PolicyContext)
    expected_vct: str | None = None
    require_holder_binding: bool = True


def _when(unix: int) -> str:
    return datetime.fromtimestamp(unix, LOCAL_TIMEZONE).strftime("%d.%m.%Y %H:%M")


class Verifier:
    """Verifies SD-JWT VC presentations against status and trust on the chain.

    Args:
        status: where status comes from (the verifier's own node).
        trust: where trust decisions come from (the verifier's own node).
        nonces: replay protection; an in-memory store by default.
        clock: unix seconds.
        leeway: seconds of clock skew tolerated for ``iat``/``nbf``/``exp``.
        kb_max_age: how old a KB-JWT may be, in seconds.
    """

    def __init__(
        self,
        *,
        status: StatusSource,
        trust: TrustSource,
        nonces: NonceStore | None = None,
        clock: Callable[[], float] = time.time,
        leeway: int = 60,
        kb_max_age: int = 300,
    ) -> None:
        self.status = status
        self.trust = trust
        self.nonces = nonces if nonces is not None else InMemoryNonceStore()
        self._clock = clock
        self.leeway = leeway
        self.kb_max_age = kb_max_age

    def verify(self, presentation: str, request: VerificationRequest) -> VerificationResult:
        """Run every check on an SD-JWT VC presentation; never raises for bad input."""
        at = int(self._clock()) if request.at is None else request.at
        checks: list[Check] = []

        # 1. signature: nothing below is trustworthy without it
        try:
            parts, jws, issuer, issuer_key = self._signature(presentation)
        except InvalidCredentialError as err:
            checks.append(
                Check.of(CheckName.SIGNATURE, CheckOutcome.FAILED, err.reason, **err.details)
            )
            return self._finish(checks)
        checks.append(
            Check.of(CheckName.SIGNATURE, CheckOutcome.PASSED, ReasonCode.SIGNATURE_VALID)
        )
        payload = jws.payload
        vct = payload.get("vct") if isinstance(payload.get("vct"), str) else None
        try:
            ctype: CredentialType | None = credential_type(vct) if vct else None
        except UnknownCredentialTypeError:
            ctype = None

        # 2. disclosures
        def classify(disclosure: Disclosure) -> ReasonCode:
            if disclosure.name is None or ctype is None or disclosure.name in ctype.claim_names:
                return ReasonCode.DISCLOSURE_TAMPERED
            return ReasonCode.DISCLOSURE_FOREIGN

        try:
            claims, _ = process_disclosures(payload, parts.disclosures, classify=classify)
        except InvalidCredentialError as err:
            checks.append(
                Check.of(CheckName.DISCLOSURES, CheckOutcome.FAILED, err.reason, **err.details)
            )
            return self._finish(checks, vct=vct, issuer=issuer)
        checks.append(
            Check.of(CheckName.DISCLOSURES, CheckOutcome.PASSED, ReasonCode.DISCLOSURES_VALID)
        )

        checks.append(self._holder_binding(parts, payload, request, at))
        iat = payload.get("iat")
        checks.append(self._time_validity(payload, at))
        checks.append(self._status(payload))
        checks.append(self._trust(issuer, issuer_key, vct, iat, ctype, claims))
        checks.append(self._policy(ctype, vct, claims, request, at))
        return self._finish(
            checks,
            vct=vct,
            issuer=issuer,
            issued_at=iat if isinstance(iat, int) else None,
            claims=claims,
        )

    # --- the checks ------------------------------------------------------------------------

    def _signature(self, presentation: str) -> tuple[SdJwtParts, CompactJws, Did, PublicKey]:
        parts = split_sd_jwt(presentation)
        jws = parse_compact_jws(parts.issuer_jwt)
        typ = jws.header.get("typ")
        if typ != SD_JWT_VC_TYP:
            raise InvalidCredentialError(ReasonCode.TYP_INVALID, typ=typ, expected=SD_JWT_VC_TYP)
        iss = jws.payload.get("iss")
        if not isinstance(iss, str) or not iss.startswith("did:"):
            raise InvalidCredentialError(ReasonCode.ISSUER_INVALID, detail="iss is not a DID")
        try:
            document = resolve_did(iss)
        except DidError as err:
            raise InvalidCredentialError(ReasonCode.ISSUER_INVALID, detail=err.message) from err
        kid = jws.header.get("kid")
        method = document.method(kid) if isinstance(kid, str) else document.verification_methods[0]
        if method is None:
            raise InvalidCredentialError(ReasonCode.ISSUER_KEY_MISMATCH)
        if not jws.verify_with(method.public_key):
            raise InvalidCredentialError(ReasonCode.SIGNATURE_INVALID)
        return parts, jws, Did(iss), method.public_key

    def _holder_binding(
        self, parts: SdJwtParts, payload: Mapping[str, Any], request: VerificationRequest, at: int
    ) -> Check:
        name = CheckName.HOLDER_BINDING
        if not request.require_holder_binding:
            return Check.of(name, CheckOutcome.SKIPPED, ReasonCode.HOLDER_BINDING_NOT_REQUIRED)
        if request.nonce is None or request.audience is None:
            raise ValueError("holder binding needs the request's nonce and audience")
        expected = KeyBindingExpectation(
            nonce=request.nonce,
            audience=request.audience,
            now=at,
            max_age=self.kb_max_age,
            leeway=self.leeway,
        )
        try:
            verify_key_binding(parts, holder_key_of(payload), expected)
        except InvalidCredentialError as err:
            return Check.of(name, CheckOutcome.FAILED, err.reason, **err.details)
        if not self.nonces.consume(request.nonce, at):
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.KB_NONCE_REPLAYED)
        return Check.of(name, CheckOutcome.PASSED, ReasonCode.HOLDER_BOUND)

    def _time_validity(self, payload: Mapping[str, Any], at: int) -> Check:
        name = CheckName.TIME_VALIDITY
        values = {k: payload.get(k) for k in ("iat", "nbf", "exp")}
        if not isinstance(values["iat"], int) or any(
            v is not None and (not isinstance(v, int) or isinstance(v, bool))
            for v in values.values()
        ):
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.MALFORMED, detail="iat/nbf/exp")
        iat, nbf, exp = values["iat"], values["nbf"], values["exp"]
        if exp is not None and at >= exp + self.leeway:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.EXPIRED, when=_when(exp))
        if nbf is not None and at + self.leeway < nbf:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.NOT_YET_VALID, when=_when(nbf))
        if at + self.leeway < iat:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.ISSUED_IN_FUTURE, when=_when(iat))
        return Check.of(name, CheckOutcome.PASSED, ReasonCode.WITHIN_VALIDITY)

    def _status(self, payload: Mapping[str, Any]) -> Check:
        name = CheckName.STATUS
        if "status" not in payload:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.STATUS_MISSING)
        try:
            reference = StatusReference.from_claim(payload["status"])
            value = self.status.status(reference.uri, reference.index)
        except StatusUnavailableError:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_UNAVAILABLE)
        except StatusReferenceError as err:
            return Check.of(
                name, CheckOutcome.FAILED, ReasonCode.STATUS_REFERENCE_INVALID, detail=err.message
            )
        if value is CredentialStatus.REVOKED:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.REVOKED)
        if value is CredentialStatus.SUSPENDED:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.SUSPENDED)
        return Check.of(name, CheckOutcome.PASSED, ReasonCode.STATUS_VALID)

    def _trust(
        self,
        issuer: Did,
        issuer_key: PublicKey,
        vct: str | None,
        iat: object,
        ctype: CredentialType | None,
        claims: Mapping[str, Any],
    ) -> Check:
        name = CheckName.TRUST
        if vct is None or not isinstance(iat, int):
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.ISSUER_NOT_ACCREDITED)
        try:
            verdict = self.trust.trust_at(issuer, vct, iat)
        except TrustUnavailableError:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.TRUST_UNAVAILABLE)
        refused = _TRUST_REASONS.get(verdict.outcome)
        if refused is not None:
            return Check.of(name, CheckOutcome.FAILED, refused)
        if verdict.key_thumbprint != issuer_key.thumbprint():
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.ISSUER_KEY_NOT_REGISTERED)
        required = ctype.required_issuer_loa(claims) if ctype is not None else None
        level = verdict.level_of_assurance or LevelOfAssurance.LOW
        if required is not None and level < required:
            return Check.of(
                name,
                CheckOutcome.FAILED,
                ReasonCode.ISSUER_LOA_INSUFFICIENT,
                level=level.label_de,
                required=required.label_de,
            )
        return Check.of(name, CheckOutcome.PASSED, ReasonCode.ISSUER_TRUSTED)

    def _policy(
        self,
        ctype: CredentialType | None,
        vct: str | None,
        claims: Mapping[str, Any],
        request: VerificationRequest,
        at: int,
    ) -> Check:
        name = CheckName.TYPE_POLICY
        if ctype is None:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.TYPE_UNKNOWN, vct=vct)
        if request.expected_vct is not None and request.expected_vct != ctype.vct:
            return Check.of(
                name,
                CheckOutcome.FAILED,
                ReasonCode.TYPE_UNEXPECTED,
                vct=ctype.vct,
                expected=request.expected_vct,
            )
        local = datetime.fromtimestamp(at, LOCAL_TIMEZONE)
        try:
            finding = ctype.check_policy(claims, local, request.context)
        except ClaimNotDisclosedError as err:
            return Check.of(
                name, CheckOutcome.FAILED, ReasonCode.CLAIM_NOT_DISCLOSED, claim=err.path
            )
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.CLAIMS_INVALID, detail=str(err))
        if finding is not None:
            return Check.of(name, CheckOutcome.FAILED, finding.reason, **finding.details)
        return Check.of(name, CheckOutcome.PASSED, ReasonCode.POLICY_MET)

    @staticmethod
    def _finish(
        checks: list[Check],
        *,
        vct: str | None = None,
        issuer: Did | None = None,
        issued_at: int | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> VerificationResult:
        done = {c.name for c in checks}
        for name in CheckName:
            if name not in done:
                checks.append(Check.of(name, CheckOutcome.SKIPPED, ReasonCode.NOT_CHECKED))
        outcomes = {c.outcome for c in checks}
        if CheckOutcome.FAILED in outcomes:
            outcome = Outcome.INVALID
        elif CheckOutcome.CANNOT_VERIFY in outcomes or any(
            c.reason_code is ReasonCode.NOT_CHECKED for c in checks
        ):
            outcome = Outcome.CANNOT_VERIFY
        else:
            outcome = Outcome.VALID
        return VerificationResult(outcome, tuple(checks), vct, issuer, issued_at, claims)


_TRUST_REASONS: dict[TrustOutcome, ReasonCode] = {
    TrustOutcome.UNKNOWN_DID: ReasonCode.ISSUER_UNKNOWN,
    TrustOutcome.DID_NOT_VALID_AT_TIME: ReasonCode.ISSUER_DID_NOT_VALID,
    TrustOutcome.OFFICE_NOT_ACTIVE: ReasonCode.OFFICE_NOT_ACTIVE,
    TrustOutcome.NOT_ACCREDITED: ReasonCode.ISSUER_NOT_ACCREDITED,
    TrustOutcome.ACCREDITATION_ENDED: ReasonCode.ACCREDITATION_ENDED,
}
