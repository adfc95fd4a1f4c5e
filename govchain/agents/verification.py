"""govchain's checks on a JSON-LD presentation ACA-Py has verified.

ACA-Py checks the Data Integrity proofs (credential and presentation, challenge) in
present-proof 2.0; govchain then checks what only the chain knows, with the same code
as the SD-JWT path (``govchain.credentials.verification.Verifier``): holder binding
(the presentation is signed by the subject's DID), validity period, status (the
``BitstringStatusListEntry`` maps back to the on-chain entry), trust (the issuer DID
accredited for the type at ``validFrom``) and the type's policy. The result is the
same ``VerificationResult`` with the same reason codes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from govchain.agents.jsonld import type_of_credential
from govchain.chain.types import Did
from govchain.credentials.dids import resolve_did
from govchain.credentials.errors import DidError, StatusReferenceError
from govchain.credentials.status import StatusListUri, StatusReference
from govchain.credentials.verification import (
    Check,
    CheckName,
    CheckOutcome,
    ReasonCode,
    VerificationRequest,
    VerificationResult,
    Verifier,
)

__all__ = ["JsonLdVerifier", "presented_credentials"]

logger = logging.getLogger(__name__)


def presented_credentials(
    pres_ex: Mapping[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The verifiable presentation and its credentials from a present-proof 2.0 record."""
    presentation = pres_ex["by_format"]["pres"]["dif"]
    credentials = presentation.get("verifiableCredential") or []
    if isinstance(credentials, dict):
        credentials = [credentials]
    return presentation, list(credentials)


def _unix(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _status_claim(entry: object) -> dict[str, Any]:
    """The SD-JWT ``status`` claim of the same on-chain entry (or a refused reference)."""
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise StatusReferenceError(str(entry), "no BitstringStatusListEntry", "kein Eintrag")
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    if not isinstance(url, str) or not url.endswith("/w3c") or not str(index).isdigit():
        raise StatusReferenceError(str(entry), "statusListCredential/Index", "Verweis")
    uri = str(StatusListUri.parse(url.removesuffix("/w3c")))
    reference = StatusReference(uri, int(str(index)))
    if reference.bitstring_entry() != dict(entry):
        raise StatusReferenceError(uri, "entry differs from govchain's", "Eintrag weicht ab")
    return reference.to_claim()


class JsonLdVerifier(Verifier):
    """The chain checks for credentials ACA-Py verified (same sources as ``Verifier``)."""

    def verify_presented(
        self,
        verified_by_agent: bool,
        presentation: Mapping[str, Any],
        credential: Mapping[str, Any],
        request: VerificationRequest,
    ) -> VerificationResult:
        """Run the checks on one presented credential; never raises."""
        try:
            return self._verify_ld(verified_by_agent, presentation, credential, request)
        except Exception:
            logger.exception("JSON-LD verification failed unexpectedly; refused")
            failed = Check.of(
                CheckName.SIGNATURE, CheckOutcome.FAILED, ReasonCode.MALFORMED, detail="error"
            )
            return self._finish([failed])

    def _verify_ld(
        self,
        verified_by_agent: bool,
        presentation: Mapping[str, Any],
        credential: Mapping[str, Any],
        request: VerificationRequest,
    ) -> VerificationResult:
        at = int(self._clock()) if request.at is None else request.at
        if not verified_by_agent:
            return self._finish(
                [Check.of(CheckName.SIGNATURE, CheckOutcome.FAILED, ReasonCode.SIGNATURE_INVALID)]
            )
        issuer = credential.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        try:
            issuer_key = resolve_did(str(issuer)).verification_methods[0].public_key
        except DidError as err:
            failed = Check.of(
                CheckName.SIGNATURE,
                CheckOutcome.FAILED,
                ReasonCode.ISSUER_INVALID,
                detail=err.message,
            )
            return self._finish([failed])
        checks = [
            Check.of(CheckName.SIGNATURE, CheckOutcome.PASSED, ReasonCode.SIGNATURE_VALID),
            # a Data Integrity proof covers every claim: nothing is withheld
            Check.of(CheckName.DISCLOSURES, CheckOutcome.PASSED, ReasonCode.DISCLOSURES_VALID),
        ]
        subject = credential.get("credentialSubject")
        subject = subject if isinstance(subject, Mapping) else {}
        claims = {k: v for k, v in subject.items() if k not in {"id", "type"}}
        proof = presentation.get("proof")
        method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        holder_did = str(method).split("#")[0] if method else None
        if holder_did is not None and holder_did == subject.get("id"):
            checks.append(
                Check.of(CheckName.HOLDER_BINDING, CheckOutcome.PASSED, ReasonCode.HOLDER_BOUND)
            )
        else:
            checks.append(
                Check.of(CheckName.HOLDER_BINDING, CheckOutcome.FAILED, ReasonCode.KB_MISSING)
            )
        iat = _unix(credential.get("validFrom"))
        payload: dict[str, Any] = {"iat": iat, "exp": _unix(credential.get("validUntil"))}
        payload = {k: v for k, v in payload.items() if v is not None}
        try:
            payload["status"] = _status_claim(credential.get("credentialStatus"))
        except StatusReferenceError as err:
            payload["status"] = {"invalid": err.message}
        ctype = type_of_credential(credential)
        vct = ctype.vct if ctype is not None else None
        checks.append(self._time_validity(payload, at))
        answer = self._ask_trust(Did(str(issuer)), vct, iat, ctype)
        checks.append(self._status(payload, iat, answer))
        checks.append(self._trust(issuer_key, iat, ctype, claims, answer))
        checks.append(self._policy(ctype, vct, claims, request, at))
        return self._finish(checks, vct=vct, issuer=Did(str(issuer)), issued_at=iat, claims=claims)
