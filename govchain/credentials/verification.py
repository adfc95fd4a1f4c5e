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

The status check fails closed: it passes only for an entry that reads exactly
``CredentialStatus.VALID`` in a list that the issuing office's admin account owns and
that existed at issuance. ``verify`` never raises: input it cannot read (including
presentations over ``MAX_PRESENTATION_LENGTH``) is ``malformed``, and a failing status
or trust source means "cannot verify". Requests that could never be answered are
refused when the ``VerificationRequest`` is built.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

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
    VerifierConfigError,
)
from govchain.credentials.formats import SD_JWT_VC_TYP
from govchain.credentials.jose import CompactJws, parse_compact_jws
from govchain.credentials.keys import PublicKey
from govchain.credentials.sd_jwt import (
    Disclosure,
    KeyBindingExpectation,
    SdJwtParts,
    holder_key_of,
    is_unix_time,
    process_disclosures,
    split_sd_jwt,
    verify_key_binding,
)
from govchain.credentials.status import StatusListRecord, StatusReference, StatusSource
from govchain.credentials.trust import TrustOutcome, TrustSource, TrustVerdict
from govchain.credentials.types import (
    LOCAL_TIMEZONE,
    CredentialType,
    PolicyContext,
    credential_type,
)

__all__ = [
    "MAX_PRESENTATION_LENGTH",
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

logger = logging.getLogger(__name__)

MAX_PRESENTATION_LENGTH: Final = 64 * 1024
"""Characters of a presentation a verifier reads at all (real ones are a few KiB)."""


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

    A request that cannot be answered is refused when it is built (VerifierConfigError),
    so that ``Verifier.verify`` never has to raise.

    Attributes:
        nonce: the nonce it handed to the wallet (needed for holder binding).
        audience: its own identifier, which the KB-JWT's ``aud`` must name.
        at: the verification time (unix seconds); None for now.
        context: what the type policy needs (zone, chip number, minimum level).
        expected_vct: the credential type asked for, if one (must be registered).
        require_holder_binding: whether a KB-JWT is required (decided before looking
            at the presentation, never because one is or is not present). A credential
            type with ``requires_holder_binding`` is always checked for it, whatever
            this flag says.
    """

    nonce: str | None = None
    audience: str | None = None
    at: int | None = None
    context: PolicyContext = field(default_factory=PolicyContext)
    expected_vct: str | None = None
    require_holder_binding: bool = True

    def __post_init__(self) -> None:
        for name in ("nonce", "audience", "expected_vct"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise VerifierConfigError(
                    f"VerificationRequest.{name} must be a non-empty string or None.",
                    f"VerificationRequest.{name} muss eine nicht leere Zeichenkette oder None "
                    "sein.",
                )
        if self.at is not None and not is_unix_time(self.at):
            raise VerifierConfigError(
                "VerificationRequest.at must be unix seconds (an int from 0 to 2**40) or None.",
                "VerificationRequest.at muss Unix-Sekunden (int von 0 bis 2**40) oder None sein.",
            )
        if self.require_holder_binding and (self.nonce is None or self.audience is None):
            raise VerifierConfigError(
                "Holder binding needs the request's nonce and audience; pass both (or "
                "require_holder_binding=False for types that allow it).",
                "Die Bindung an die vorzeigende Person braucht Nonce und Empfänger der "
                "Anfrage; bitte beide angeben (oder require_holder_binding=False für Typen, "
                "die das erlauben).",
            )
        if self.expected_vct is not None:
            try:
                expected = credential_type(self.expected_vct)
            except UnknownCredentialTypeError as err:
                raise VerifierConfigError(
                    f"VerificationRequest.expected_vct {self.expected_vct!r} is no registered "
                    "credential type.",
                    f"VerificationRequest.expected_vct {self.expected_vct!r} ist kein "
                    "registrierter Nachweistyp.",
                ) from err
            if expected.requires_holder_binding and not self.require_holder_binding:
                raise VerifierConfigError(
                    f"The credential type {expected.vct} requires holder binding; a request "
                    "for it cannot set require_holder_binding=False.",
                    f"Der Nachweistyp {expected.vct} verlangt die Bindung an die vorzeigende "
                    "Person; eine Anfrage danach kann require_holder_binding=False nicht setzen.",
                )


def _when(unix: int) -> str:
    try:
        return datetime.fromtimestamp(unix, LOCAL_TIMEZONE).strftime("%d.%m.%Y %H:%M")
    except (OverflowError, OSError, ValueError):
        return str(unix)  # unreachable for checked times; a message must never crash


@dataclass(frozen=True, slots=True)
class _TrustAnswer:
    """What the trust source said (None: not asked), or that it could not be read."""

    verdict: TrustVerdict | None
    unavailable: bool = False


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
        if leeway < 0 or kb_max_age <= 0:
            raise VerifierConfigError(
                "leeway must be >= 0 and kb_max_age > 0 seconds.",
                "leeway muss >= 0 und kb_max_age > 0 Sekunden sein.",
            )
        window = kb_max_age + leeway
        if nonces is None:
            nonces = InMemoryNonceStore(ttl=max(600, window))
        elif isinstance(nonces, InMemoryNonceStore) and nonces.ttl < window:
            # A KB-JWT is accepted for kb_max_age + leeway seconds; a nonce forgotten
            # earlier could be replayed within that window.
            raise VerifierConfigError(
                f"The nonce store forgets nonces after {nonces.ttl} s, but a key-binding JWT "
                f"is accepted for {window} s (kb_max_age + leeway); raise its ttl.",
                f"Der Nonce-Speicher vergisst Nonces nach {nonces.ttl} s, ein Besitznachweis "
                f"gilt aber {window} s (kb_max_age + leeway); bitte ttl erhöhen.",
            )
        self.status = status
        self.trust = trust
        self.nonces = nonces
        self._clock = clock
        self.leeway = leeway
        self.kb_max_age = kb_max_age

    def verify(self, presentation: str, request: VerificationRequest) -> VerificationResult:
        """Run every check on an SD-JWT VC presentation.

        Never raises: whatever the input, the answer is a result. Should a check fail in
        a way nobody foresaw, the error is logged and the presentation is refused as
        ``malformed``; it is never let through.
        """
        try:
            return self._verify(presentation, request)
        except Exception:
            logger.exception("Verification failed unexpectedly; the presentation is refused")
            failed = Check.of(
                CheckName.SIGNATURE,
                CheckOutcome.FAILED,
                ReasonCode.MALFORMED,
                detail="unexpected error while checking",
            )
            return self._finish([failed])

    def _verify(self, presentation: str, request: VerificationRequest) -> VerificationResult:
        at = int(self._clock()) if request.at is None else request.at
        checks: list[Check] = []
        if not isinstance(presentation, str) or len(presentation) > MAX_PRESENTATION_LENGTH:
            detail = f"not text, or longer than {MAX_PRESENTATION_LENGTH} characters"
            checks.append(
                Check.of(
                    CheckName.SIGNATURE, CheckOutcome.FAILED, ReasonCode.MALFORMED, detail=detail
                )
            )
            return self._finish(checks)

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

        iat = payload.get("iat")
        # Binding is required if the request asks for it, or if the (signed) type does:
        # the issuer decides that, so no presenter can talk the verifier out of it.
        binding = request.require_holder_binding or (
            ctype is not None and ctype.requires_holder_binding
        )
        checks.append(self._holder_binding(parts, payload, request, at, binding))
        checks.append(self._time_validity(payload, at))
        answer = self._ask_trust(issuer, vct, iat, ctype)
        checks.append(self._status(payload, iat, answer))
        checks.append(self._trust(issuer_key, iat, ctype, claims, answer))
        checks.append(self._policy(ctype, vct, claims, request, at))
        return self._finish(
            checks,
            vct=vct,
            issuer=issuer,
            issued_at=iat if is_unix_time(iat) else None,
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
        if kid is not None and not isinstance(kid, str):
            raise InvalidCredentialError(ReasonCode.MALFORMED, detail="kid is not a string")
        method = document.method(kid) if kid is not None else document.verification_methods[0]
        if method is None:
            raise InvalidCredentialError(ReasonCode.ISSUER_KEY_MISMATCH)
        if not jws.verify_with(method.public_key):
            raise InvalidCredentialError(ReasonCode.SIGNATURE_INVALID)
        return parts, jws, Did(iss), method.public_key

    def _holder_binding(
        self,
        parts: SdJwtParts,
        payload: Mapping[str, Any],
        request: VerificationRequest,
        at: int,
        required: bool,
    ) -> Check:
        name = CheckName.HOLDER_BINDING
        if not required:
            return Check.of(name, CheckOutcome.SKIPPED, ReasonCode.HOLDER_BINDING_NOT_REQUIRED)
        if request.nonce is None or request.audience is None:
            # only when the request waived binding but the credential's type needs it
            return Check.of(
                name, CheckOutcome.CANNOT_VERIFY, ReasonCode.HOLDER_BINDING_NOT_REQUESTED
            )
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
        iat, nbf, exp = (payload.get(k) for k in ("iat", "nbf", "exp"))
        if not is_unix_time(iat) or any(v is not None and not is_unix_time(v) for v in (nbf, exp)):
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.MALFORMED, detail="iat/nbf/exp")
        if is_unix_time(exp) and at >= exp + self.leeway:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.EXPIRED, when=_when(exp))
        if is_unix_time(nbf) and at + self.leeway < nbf:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.NOT_YET_VALID, when=_when(nbf))
        if at + self.leeway < iat:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.ISSUED_IN_FUTURE, when=_when(iat))
        return Check.of(name, CheckOutcome.PASSED, ReasonCode.WITHIN_VALIDITY)

    def _ask_trust(
        self, issuer: Did, vct: str | None, iat: object, ctype: CredentialType | None
    ) -> _TrustAnswer:
        """The trust source's verdict, asked once for the status and the trust check.

        Only a registered type at a valid time is asked about, so the trust source (and
        its cache) never sees a vct or a time the presenter made up.
        """
        if vct is None or ctype is None or not is_unix_time(iat):
            return _TrustAnswer(None)
        try:
            return _TrustAnswer(self.trust.trust_at(issuer, vct, iat))
        except TrustUnavailableError:
            return _TrustAnswer(None, unavailable=True)
        except Exception:
            logger.exception("The trust source failed unexpectedly")
            return _TrustAnswer(None, unavailable=True)

    def _status(self, payload: Mapping[str, Any], iat: object, trust: _TrustAnswer) -> Check:
        name = CheckName.STATUS
        if "status" not in payload:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.STATUS_MISSING)
        try:
            reference = StatusReference.from_claim(payload["status"])
            record = self.status.list_record(reference.uri)
        except StatusUnavailableError:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_UNAVAILABLE)
        except StatusReferenceError as err:
            return Check.of(
                name, CheckOutcome.FAILED, ReasonCode.STATUS_REFERENCE_INVALID, detail=err.message
            )
        except Exception:
            logger.exception("The status source failed unexpectedly")
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_UNAVAILABLE)
        if not 0 <= reference.index < record.size:
            detail = f"idx beyond the list's {record.size} entries"
            return Check.of(
                name, CheckOutcome.FAILED, ReasonCode.STATUS_REFERENCE_INVALID, detail=detail
            )
        ownership = self._status_list_ownership(record, iat, trust)
        if ownership is not None:
            return ownership
        try:
            value = self.status.status(reference.uri, reference.index)
        except StatusUnavailableError:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_UNAVAILABLE)
        except StatusReferenceError as err:
            return Check.of(
                name, CheckOutcome.FAILED, ReasonCode.STATUS_REFERENCE_INVALID, detail=err.message
            )
        except Exception:
            logger.exception("The status source failed unexpectedly")
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_UNAVAILABLE)
        # Fail closed: only the exact VALID member passes; anything else a status source
        # might hand back (an int, None, a value added later) is not "valid".
        if value is CredentialStatus.VALID:
            return Check.of(name, CheckOutcome.PASSED, ReasonCode.STATUS_VALID)
        if value is CredentialStatus.REVOKED:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.REVOKED)
        if value is CredentialStatus.SUSPENDED:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.SUSPENDED)
        return Check.of(name, CheckOutcome.FAILED, ReasonCode.STATUS_VALUE_UNKNOWN)

    def _status_list_ownership(
        self, record: StatusListRecord, iat: object, trust: _TrustAnswer
    ) -> Check | None:
        """A failed check unless the list belongs to the issuing office (its owner is
        the office's admin account) and existed when the credential was issued.

        Otherwise any issuer could point ``status`` at another office's list, where an
        entry that office never revokes keeps a credential "valid" for ever.
        """
        name = CheckName.STATUS
        if not is_unix_time(iat):
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.MALFORMED, detail="iat")
        if record.created_at > iat:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.STATUS_LIST_AFTER_ISSUANCE)
        if trust.unavailable:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_OWNER_UNAVAILABLE)
        office = trust.verdict.office_id if trust.verdict is not None else None
        if office is None:
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.STATUS_LIST_FOREIGN)
        try:
            admin = self.trust.office_admin(office)
        except TrustUnavailableError:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_OWNER_UNAVAILABLE)
        except Exception:
            logger.exception("The trust source failed unexpectedly")
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.STATUS_OWNER_UNAVAILABLE)
        if str(admin).lower() != str(record.owner).lower():
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.STATUS_LIST_FOREIGN)
        return None

    def _trust(
        self,
        issuer_key: PublicKey,
        iat: object,
        ctype: CredentialType | None,
        claims: Mapping[str, Any],
        answer: _TrustAnswer,
    ) -> Check:
        name = CheckName.TRUST
        if ctype is None or not is_unix_time(iat):
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.ISSUER_NOT_ACCREDITED)
        if answer.unavailable or answer.verdict is None:
            return Check.of(name, CheckOutcome.CANNOT_VERIFY, ReasonCode.TRUST_UNAVAILABLE)
        verdict = answer.verdict
        refused = _TRUST_REASONS.get(verdict.outcome)
        if refused is not None:
            return Check.of(name, CheckOutcome.FAILED, refused)
        if verdict.key_thumbprint != issuer_key.thumbprint():
            return Check.of(name, CheckOutcome.FAILED, ReasonCode.ISSUER_KEY_NOT_REGISTERED)
        required = ctype.required_issuer_loa(claims)
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
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as err:
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
