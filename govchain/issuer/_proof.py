"""The wallet's key proof (OID4VCI 1.0, Appendix F.1, ``jwt`` proof type).

A proof is a compact JWS with ``typ: openid4vci-proof+jwt``, ``alg: ES256`` and the
holder's public key as ``jwk`` in the header (the only key reference this issuer
accepts, as its metadata says); its payload names the Credential Issuer Identifier as
``aud``, a fresh ``iat`` and the c_nonce. The nonce's validity is checked by the caller
(it lives in the database); everything else is checked here, structure before crypto.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from govchain.credentials.errors import InvalidCredentialError
from govchain.credentials.jose import parse_compact_jws
from govchain.credentials.keys import PublicKey
from govchain.issuer.errors import InvalidProofError

__all__ = ["PROOF_ALGS", "PROOF_TYP", "CheckedProof", "check_proof"]

PROOF_TYP: Final = "openid4vci-proof+jwt"
PROOF_ALGS: Final = ("ES256",)
_KEY_REFERENCES: Final = ("jwk", "kid", "x5c", "trust_chain", "key_attestation")
_FUTURE_LEEWAY: Final = 60


@dataclass(frozen=True)
class CheckedProof:
    """A proof whose form, signature, audience and age are fine; the nonce is the
    caller's to check."""

    key: PublicKey
    nonce: str


def check_proof(jwt: object, *, audience: str, now: int, max_age: int) -> CheckedProof:
    """Check one ``jwt`` key proof; InvalidProofError names what is wrong."""
    if not isinstance(jwt, str) or not jwt:
        raise InvalidProofError("the proof is not a JWT string", "der Nachweis ist kein JWT")
    try:
        jws = parse_compact_jws(jwt)
    except InvalidCredentialError as err:
        raise InvalidProofError(
            "it is not a readable JWS with an allowed algorithm",
            "er ist kein lesbares JWS mit zulässigem Algorithmus",
        ) from err
    header, payload = jws.header, jws.payload
    if header.get("typ") != PROOF_TYP:
        raise InvalidProofError(f"typ must be {PROOF_TYP}", f"typ muss {PROOF_TYP} sein")
    if jws.alg not in PROOF_ALGS:
        raise InvalidProofError("alg must be ES256", "alg muss ES256 sein")
    references = [name for name in _KEY_REFERENCES if name in header]
    if references != ["jwk"] or not isinstance(header["jwk"], dict):
        raise InvalidProofError(
            "the header must carry the key as jwk, and no other key reference",
            "der Kopf muss den Schlüssel als jwk tragen, ohne weitere Schlüsselangabe",
        )
    if "d" in header["jwk"]:
        raise InvalidProofError(
            "the jwk contains a private key", "der jwk enthält einen privaten Schlüssel"
        )
    try:
        key = PublicKey(header["jwk"])
    except ValueError as err:
        raise InvalidProofError(
            "the jwk is not a usable P-256 key", "der jwk ist unbrauchbar"
        ) from err
    if not jws.verify_with(key):
        raise InvalidProofError(
            "the signature does not verify with the jwk",
            "die Signatur passt nicht zum jwk",
        )
    aud = payload.get("aud")
    if not (aud == audience or (isinstance(aud, list) and aud == [audience])):
        raise InvalidProofError(
            f"aud must be the credential issuer {audience}",
            f"aud muss die ausstellende Stelle {audience} sein",
        )
    iat = payload.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise InvalidProofError("iat is missing", "iat fehlt")
    if iat > now + _FUTURE_LEEWAY:
        raise InvalidProofError("iat lies in the future", "iat liegt in der Zukunft")
    if iat < now - max_age:
        raise InvalidProofError(
            f"it is older than {max_age} seconds", f"er ist älter als {max_age} Sekunden"
        )
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProofError("the c_nonce is missing", "die c_nonce fehlt")
    return CheckedProof(key=key, nonce=nonce)
