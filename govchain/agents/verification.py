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
from typing import Any, Final

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

__all__ = ["JsonLdVerifier", "bbs_status_entry", "presented_credentials", "status_claim"]

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


def bbs_status_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` as a BBS+ credential carries it: each
    ``statusMessage`` item named by an IRI (``<entry id>-<status>``).

    ACA-Py 1.7 derives a BBS+ proof that does not verify when the revealed part holds
    blank nodes (the unnamed ``statusMessage`` items); named, the whole entry can be
    disclosed and checked. Same list, same index, same meaning as the SD-JWT VC's.
    """
    named = dict(entry)
    named["statusMessage"] = [
        {"id": f"{entry['id']}-{item['status']}", **item} for item in entry["statusMessage"]
    ]
    return named


def status_claim(entry: object, *, derived: bool = False) -> dict[str, Any]:
    """The SD-JWT ``status`` claim of the on-chain entry a credential's
    ``credentialStatus`` names, accepted only in exactly the form govchain writes
    (``StatusReference.bitstring_entry``: a ``BitstringStatusListEntry`` of a
    StatusRegistry list). Used by the verifier and the wallet alike.

    A derived BBS+ credential (``derived``) carries ``bbs_status_entry``'s form, as it
    comes out of RDF: literals as strings, ``statusMessage`` in any order.

    Raises:
        StatusReferenceError: no such entry, or one that differs from govchain's.
    """
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise StatusReferenceError(str(entry), "no BitstringStatusListEntry", "kein Eintrag")
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    if not isinstance(url, str) or not url.endswith("/w3c") or not str(index).isdigit():
        raise StatusReferenceError(str(entry), "statusListCredential/Index", "Verweis")
    uri = str(StatusListUri.parse(url.removesuffix("/w3c")))
    reference = StatusReference(uri, int(str(index)))
    expected = reference.bitstring_entry()
    if derived:
        differs = _plain(bbs_status_entry(expected)) != _plain(entry)
    else:
        differs = expected != dict(entry)
    if differs:
        raise StatusReferenceError(uri, "entry differs from govchain's", "Eintrag weicht ab")
    return reference.to_claim()


def _plain(value: object) -> object:
    """A JSON-LD value as RDF gives it back: scalars as strings, sets unordered."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_plain(v) for v in value), key=repr)
    return str(value)


_XSD: Final = "http://www.w3.org/2001/XMLSchema#"


def _native(value: object) -> object:
    """Typed literals as native values: a derived BBS+ credential comes out of RDF, so
    a number is ``{"type": "xsd:integer", "@value": "3"}`` where the issued one had 3."""
    if isinstance(value, Mapping):
        if set(value) == {"type", "@value"} and isinstance(value["@value"], str):
            kind, text = str(value["type"]).removeprefix(_XSD), value["@value"]
            if kind == "integer":
                return int(text)
            if kind == "boolean":
                return text == "true"
            if kind in ("double", "decimal"):
                return float(text)
            return text
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


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
            # a Data Integrity proof covers every claim shown; a derived BBS+ proof
            # (limit_disclosure) covers exactly the claims disclosed, and the type
            # policy refuses when it needs one that was withheld
            Check.of(CheckName.DISCLOSURES, CheckOutcome.PASSED, ReasonCode.DISCLOSURES_VALID),
        ]
        subject = credential.get("credentialSubject")
        subject = subject if isinstance(subject, Mapping) else {}
        proof = credential.get("proof")
        derived = isinstance(proof, Mapping) and proof.get("type") == "BbsBlsSignatureProof2020"
        claims = {k: v for k, v in subject.items() if k not in {"id", "type"}}
        if derived:
            claims = {k: _native(v) for k, v in claims.items()}
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
            payload["status"] = status_claim(credential.get("credentialStatus"), derived=derived)
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
