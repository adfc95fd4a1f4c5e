"""BLS12-381 G2 keys (BBS+ issuers and holders in ACA-Py's wallets): did:key resolution,
the JWK and its RFC 7638 thumbprint for the TrustRegistry, and clear refusals of keys
that are malformed. govchain never verifies with these keys; ACA-Py does."""

from __future__ import annotations

import hashlib
import json

import pytest

from govchain.chain.types import Did, LevelOfAssurance
from govchain.credentials import (
    ChainTrustSource,
    DidError,
    KeyKind,
    PublicKey,
    SigningKey,
    TrustOutcome,
    create_did,
    resolve_did,
)
from govchain.credentials._encoding import b64url_encode
from govchain.credentials.dids import base58btc_decode, base58btc_encode
from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.keys import KeyFormatError, check_bls12381g2_key
from govchain.credentials.types import CitizenId
from govchain.credentials.verification import CheckName, ReasonCode
from tests.credentials.conftest import CredWorld
from tests.credentials.test_attacks import SHOW_DOG, decoded, issue_dog, join, refused, split

# ACA-Py's own did:key test vector for bls12381g2 (acapy, did/tests/test_did_key_bls12381g2.py):
# the base58 public key and the did:key it gives.
ACAPY_KEY_BASE58 = (
    "mxE4sHTpbPcmxNviRVR9r7D2taXcNyVJmf9TBUFS1gRt3j3Ej9Seo59GQeCzYwbQgDrfWCwEJvmBwjLvheAky5N2"
    "NqFVzk4kuq3S8g4Fmekai4P622vHqWjFrsioYYDqhf9"
)
ACAPY_DID = (
    "did:key:zUC71nmwvy83x1UzNKbZbS7N9QZx8rqpQx3Ee3jGfKiEkZngTKzsRoqobX6wZdZF5F93pSGYYco3gpK9"
    "tc53ruWUo2tkBB9bxPCFBUjq2th8FbtT4xih6y6Q1K9EL4Th86NiCGT"
)
# draft-ietf-cose-bls-key-representations-08: the G2 example of appendix A.1 (JWK) is the
# same key as the one of appendix B.1 (COSE_Key, hex)
DRAFT_JWK_X = (
    "pVD25M3Ca0jOBmHizej_YwuVOEIadk44urQcQQD3uhITsWj5LdgRmjTkftCme9KQ"
    "EReUf5yoxPi7pDDx4UdkmTXtzuaIKm9YY2cOpT5dO26ttBSzneQEUFhHpM3sdUmf"
)
DRAFT_COSE_X = bytes.fromhex(
    "a550f6e4cdc26b48ce0661e2cde8ff630b9538421a764e38bab41c4100f7ba12"
    "13b168f92dd8119a34e47ed0a67bd2901117947f9ca8c4f8bba430f1e1476499"
    "35edcee6882a6f5863670ea53e5d3b6eadb414b39de404505847a4cdec75499f"
)
G2 = bytes([0xEB, 0x01])  # multicodec bls12_381-g2-pub


def did_key(raw: bytes) -> str:
    return "did:key:z" + base58btc_encode(raw)


def test_acapys_bls12381g2_did_key_resolves_to_its_key() -> None:
    raw = base58btc_decode(ACAPY_KEY_BASE58)
    assert len(raw) == 96
    document = resolve_did(ACAPY_DID)
    key = document.key
    assert key.kind is KeyKind.BLS12381G2
    assert key.jwk == {"crv": "BLS12381G2", "kty": "OKP", "x": b64url_encode(raw)}
    method = document.verification_methods[0]
    assert method.id == f"{ACAPY_DID}#{ACAPY_DID.removeprefix('did:key:')}"
    assert method.controller == ACAPY_DID
    assert create_did(key, "key") == ACAPY_DID
    vm = document.to_json()["verificationMethod"][0]
    assert vm["type"] == "JsonWebKey" and vm["publicKeyJwk"]["crv"] == "BLS12381G2"


def test_the_jwk_is_the_drafts_and_the_thumbprint_is_rfc_7638() -> None:
    key = resolve_did(did_key(G2 + DRAFT_COSE_X)).key
    assert key.jwk == {"kty": "OKP", "crv": "BLS12381G2", "x": DRAFT_JWK_X}
    # RFC 7638: the required members (crv, kty, x for OKP) sorted, no whitespace, SHA-256
    canonical = json.dumps(
        {"crv": "BLS12381G2", "kty": "OKP", "x": DRAFT_JWK_X}, separators=(",", ":")
    )
    assert key.thumbprint() == hashlib.sha256(canonical.encode()).digest()
    assert PublicKey.from_jwk(key.jwk) == key
    # the same key as did:jwk resolves to the same key and thumbprint
    assert resolve_did(create_did(key, "jwk")).key.thumbprint() == key.thumbprint()


def test_a_bls_key_never_verifies_nor_signs_here() -> None:
    key = resolve_did(ACAPY_DID).key
    assert key.verify(bytes(64), b"anything") is False
    assert key.alg not in {"ES256", "EdDSA"} and not KeyKind.BLS12381G2.signs
    with pytest.raises(ValueError, match="does not sign with BLS12381G2"):
        SigningKey.generate(KeyKind.BLS12381G2)


def _flip_first(raw: bytes, mask_and: int, mask_or: int = 0) -> bytes:
    return bytes([(raw[0] & mask_and) | mask_or]) + raw[1:]


P = bytes.fromhex(  # the BLS12-381 field modulus
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf"
    "6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
)


@pytest.mark.parametrize(
    ("raw", "english", "german"),
    [
        (G2 + DRAFT_COSE_X[:95], "bls12_381-g2-pub is 96 bytes, this one 95", "dieser 95"),
        (G2 + DRAFT_COSE_X + b"\0", "bls12_381-g2-pub is 96 bytes, this one 97", "dieser 97"),
        (G2, "this one 0", "dieser 0"),
        (bytes([0xEA, 0x01]) + DRAFT_COSE_X[:48], "0xea (bls12_381-g1-pub)", "Schlüsseltyp 0xea"),
        (bytes([0xEE, 0x01]) + DRAFT_COSE_X, "0xee (bls12_381-g1g2-pub)", "govchain nimmt"),
        (bytes([0xEB, 0x02]) + DRAFT_COSE_X, "unsupported multicodec key type", "nicht unterst"),
        (G2 + _flip_first(DRAFT_COSE_X, 0x7F), "compression flag is not set", "Kompressionsbit"),
        (G2 + bytes([0xC0]) + bytes(95), "point at infinity", "unendlich ferne Punkt"),
        (G2 + bytes([0x80 | P[0]]) + P[1:] + bytes(48), "field modulus", "Modul"),
        (G2 + DRAFT_COSE_X[:48] + P, "field modulus", "Modul"),
    ],
    ids=[
        "95-bytes",
        "97-bytes",
        "no-key",
        "g1-prefix",
        "g1g2-prefix",
        "unknown-prefix",
        "uncompressed",
        "identity",
        "x1-too-big",
        "x0-too-big",
    ],
)
def test_malformed_bls_did_keys_are_refused_with_the_reason(
    raw: bytes, english: str, german: str
) -> None:
    did = did_key(raw)
    with pytest.raises(DidError) as caught:
        resolve_did(did)
    assert "not a valid did:key" in str(caught.value) and english in str(caught.value)
    assert "keine gültige did:key" in caught.value.message_de
    assert german in caught.value.message_de


def test_malformed_bls_jwks_are_refused() -> None:
    for x in (DRAFT_JWK_X[:-4], DRAFT_JWK_X + "AAAA", b64url_encode(bytes(96))):
        with pytest.raises(ValueError):
            PublicKey.from_jwk({"kty": "OKP", "crv": "BLS12381G2", "x": x})
        with pytest.raises(DidError):
            resolve_did(
                "did:jwk:"
                + b64url_encode(json.dumps({"crv": "BLS12381G2", "kty": "OKP", "x": x}).encode())
            )
    with pytest.raises(KeyFormatError) as caught:
        check_bls12381g2_key(bytes(96))
    assert "Kompressionsbit" in caught.value.message_de


def test_the_trust_registry_records_a_bls_issuers_thumbprint(cw: CredWorld) -> None:
    """What JsonLdVerifier compares: the registered thumbprint is the resolved key's."""
    office, _ = cw.new_office({CitizenId.vct: LevelOfAssurance.HIGH}, register_did=False)
    did = Did(ACAPY_DID)
    key = resolve_did(did).key
    cw.world.d.trust.register_did(cw.world.office_admin, office, did, key.thumbprint())
    verdict = ChainTrustSource(cw.world.d.trust, max_age=0).trust_at(did, CitizenId.vct, cw.now())
    assert verdict.outcome is TrustOutcome.TRUSTED
    assert verdict.key_thumbprint == key.thumbprint()


def test_an_sd_jwt_naming_a_bls_issuer_is_refused(cw: CredWorld) -> None:
    """A JWS can never verify under a BLS key: its alg is no JWS algorithm."""
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    forged = sign_compact_jws(
        {**header, "kid": f"{ACAPY_DID}#{ACAPY_DID.removeprefix('did:key:')}"},
        {**payload, "iss": ACAPY_DID},
        SigningKey.generate(),
    )
    refused(
        cw.verify(join(forged, disclosures, kb), nonce),
        CheckName.SIGNATURE,
        ReasonCode.SIGNATURE_INVALID,
    )
