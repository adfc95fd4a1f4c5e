"""SD-JWT (RFC 9901): the RFC's own examples verify, and issuance round-trips."""

from __future__ import annotations

import json

import pytest

from govchain.credentials import InvalidCredentialError, KeyKind, ReasonCode, SigningKey
from govchain.credentials._encoding import b64url_decode, b64url_encode, json_loads_strict
from govchain.credentials.jose import parse_compact_jws, sign_compact_jws
from govchain.credentials.keys import PublicKey
from govchain.credentials.sd_jwt import (
    Disclosure,
    KeyBindingExpectation,
    SdArray,
    SdObject,
    issue_sd_jwt,
    new_salt,
    present,
    split_sd_jwt,
    verify_sd_jwt,
)
from tests.credentials import _rfc9901 as rfc

ISSUER = PublicKey(rfc.ISSUER_PUBLIC_JWK)


# --- the RFC's examples ---------------------------------------------------------------------


def test_rfc9901_4_2_1_disclosure_is_reproduced_byte_for_byte() -> None:
    """RFC 9901, section 4.2.1: the Disclosure of family_name "Möbius"."""
    salt, name, value = rfc.DISCLOSURE_4_2_1_CONTENT
    disclosure = Disclosure.create(salt, name, value)
    assert disclosure.encoded == rfc.DISCLOSURE_4_2_1
    assert Disclosure.parse(rfc.DISCLOSURE_4_2_1) == disclosure


def test_rfc9901_4_2_3_digest_is_over_the_ascii_disclosure() -> None:
    """RFC 9901, section 4.2.3: SHA-256 over the base64url string, not the decoded bytes."""
    assert Disclosure.parse(rfc.DISCLOSURE_4_2_1).digest == rfc.DIGEST_4_2_3


def test_rfc9901_4_2_2_array_element_disclosure() -> None:
    """RFC 9901, section 4.2.2: an array element has no claim name."""
    salt, value = rfc.DISCLOSURE_4_2_2_CONTENT
    assert Disclosure.create(salt, None, value).encoded == rfc.DISCLOSURE_4_2_2
    assert Disclosure.parse(rfc.DISCLOSURE_4_2_2).name is None


@pytest.mark.parametrize("source", sorted(rfc.SECTION_5_1_SIGNATURES))
def test_rfc9901_5_1_issued_sd_jwt_verifies(source: str) -> None:
    """RFC 9901, section 5.1: the Issuer-signed JWT with all ten Disclosures."""
    issued = f"{rfc.SECTION_5_1_SIGNING_INPUT}.{rfc.SECTION_5_1_SIGNATURES[source]}~" + "".join(
        d + "~" for d in rfc.SECTION_5_1_DISCLOSURES.values()
    )
    verified = verify_sd_jwt(issued, ISSUER)
    claims = verified.claims
    assert claims["given_name"] == "John" and claims["family_name"] == "Doe"
    assert claims["address"]["street_address"] == "123 Main St"
    assert claims["nationalities"] == ["US", "DE"]
    assert claims["updated_at"] == 1570000000 and claims["phone_number_verified"] is True
    assert "_sd" not in claims and "_sd_alg" not in claims
    for name, encoded in rfc.SECTION_5_1_DISCLOSURES.items():
        assert Disclosure.parse(encoded).digest == rfc.SECTION_5_1_DIGESTS[name]


def test_rfc9901_5_2_presentation_with_key_binding_verifies() -> None:
    """RFC 9901, section 5.2: four Disclosures and a KB-JWT (nonce, aud, iat, sd_hash)."""
    verified = verify_sd_jwt(
        rfc.SECTION_5_2_PRESENTATION,
        ISSUER,
        key_binding=KeyBindingExpectation(
            nonce=rfc.SECTION_5_2_NONCE,
            audience=rfc.SECTION_5_2_AUDIENCE,
            now=rfc.SECTION_5_2_KB_IAT,
        ),
    )
    assert verified.key_binding is not None
    assert verified.claims["nationalities"] == ["US"]
    assert set(verified.claims) == {
        "iss", "iat", "exp", "sub", "nationalities", "cnf", "family_name", "address",
        "given_name",
    }  # fmt: skip


def test_rfc9901_appendix_a_1_structured() -> None:
    """RFC 9901, appendix A.1: nested _sd inside "address"."""
    assert verify_sd_jwt(rfc.APPENDIX_A_1, ISSUER).claims == rfc.APPENDIX_A_1_CLAIMS


def test_rfc9901_appendix_a_2_complex_structured() -> None:
    """RFC 9901, appendix A.2: recursive Disclosure of an array element with its own _sd."""
    assert verify_sd_jwt(rfc.APPENDIX_A_2, ISSUER).claims == rfc.APPENDIX_A_2_CLAIMS


def test_rfc9901_appendix_a_3_sd_jwt_vc() -> None:
    """RFC 9901, appendix A.3: an SD-JWT VC (typ dc+sd-jwt) with nested and array claims."""
    claims = verify_sd_jwt(rfc.APPENDIX_A_3, ISSUER, expected_typ="dc+sd-jwt").claims
    assert claims["vct"] == "urn:eudi:pid:de:1"
    assert claims["address"]["locality"] == "Köln"
    assert claims["age_equal_or_over"] == {
        "12": True, "14": True, "16": True, "18": True, "21": True, "65": False
    }  # fmt: skip
    assert claims["nationalities"] == ["DE"]
    assert claims["place_of_birth"] == {"locality": "Berlin", "country": "DE"}


def test_rfc_example_with_a_flipped_signature_bit_is_refused() -> None:
    name = sorted(rfc.SECTION_5_1_SIGNATURES)[0]
    signature = bytearray(b64url_decode(rfc.SECTION_5_1_SIGNATURES[name]))
    signature[5] ^= 1
    issued = f"{rfc.SECTION_5_1_SIGNING_INPUT}.{b64url_encode(bytes(signature))}~"
    with pytest.raises(InvalidCredentialError) as refused:
        verify_sd_jwt(issued, ISSUER)
    assert refused.value.reason is ReasonCode.SIGNATURE_INVALID


# --- issuance ------------------------------------------------------------------------------

FRAME = SdObject(
    members={
        "name": True,
        "address": SdObject(members={"street": True, "city": True}, disclosable=True),
        "nationalities": SdArray(element=True),
        "children": SdArray(element=SdObject(members={"name": True}, disclosable=True)),
        "plain": False,
    }
)
CLAIMS = {
    "iss": "https://issuer.example",
    "name": "Erika",
    "address": {"street": "Markt 1", "city": "Aachen", "country": "DE"},
    "nationalities": ["DE", "PT"],
    "children": [{"name": "Tom", "age": 3}, {"name": "Ida", "age": 5}],
    "plain": "visible",
}


@pytest.mark.parametrize("kind", ["P-256", "Ed25519"])
def test_nested_objects_array_elements_and_decoys_round_trip(kind: str) -> None:
    key = SigningKey.generate(KeyKind(kind))
    issued = issue_sd_jwt(CLAIMS, FRAME, key, header={"typ": "example+sd-jwt"}, decoys=3)
    parts = split_sd_jwt(issued)
    payload = json.loads(b64url_decode(parts.issuer_jwt.split(".")[1]))
    assert payload["plain"] == "visible" and "name" not in payload
    assert payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["_sd"]) >= 3  # name, address and at least one decoy
    assert all(set(e) == {"..."} for e in payload["nationalities"])
    assert len(parts.disclosures) == 2 + 2 + 2 + 2 + 2  # name, address(+2), 2 nat., 2 kids(+2)
    assert verify_sd_jwt(issued, key.public_key).claims == CLAIMS


def test_present_discloses_only_what_is_asked_and_what_encloses_it() -> None:
    key = SigningKey.generate()
    issued = issue_sd_jwt(CLAIMS, FRAME, key, header={"typ": "example+sd-jwt"})
    shown = present(issued, disclose=[("address", "city"), ("children", 1, "name")])
    claims = verify_sd_jwt(shown, key.public_key).claims
    assert claims == {
        "iss": "https://issuer.example",
        "address": {"city": "Aachen", "country": "DE"},
        "nationalities": [],
        "children": [{"name": "Ida", "age": 5}],
        "plain": "visible",
    }
    everything = present(issued, disclose=[("children", None)])
    assert verify_sd_jwt(everything, key.public_key).claims["children"] == CLAIMS["children"]


# --- parsing hardening (security review) --------------------------------------------------------


def signed_raw(key: SigningKey, header: str, body: str) -> str:
    """A JWS over header and payload JSON exactly as written (duplicates and all)."""
    signing_input = f"{b64url_encode(header.encode())}.{b64url_encode(body.encode())}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def reason_of(text: str, key: SigningKey) -> ReasonCode:
    with pytest.raises(InvalidCredentialError) as refused:
        verify_sd_jwt(text, key.public_key)
    return refused.value.reason


@pytest.mark.parametrize("alg", [["ES256"], {"alg": "ES256"}, 7, None])
def test_a_non_string_alg_is_refused_with_a_reason(alg: object) -> None:
    token = f"{b64url_encode(json.dumps({'alg': alg}).encode())}.e30.AAAA"
    with pytest.raises(InvalidCredentialError) as refused:
        parse_compact_jws(token)
    assert refused.value.reason in (ReasonCode.ALG_NOT_ALLOWED, ReasonCode.ALG_NONE)
    with pytest.raises(InvalidCredentialError) as refused:
        parse_compact_jws(token, alg_reason=ReasonCode.KB_SIGNATURE_INVALID)
    assert refused.value.reason is ReasonCode.KB_SIGNATURE_INVALID


@pytest.mark.parametrize("where", ["top", "nested", "array element value"])
def test_a_disclosure_may_not_name_sd_alg_at_any_level(where: str) -> None:
    key = SigningKey.generate()
    sneaky = Disclosure.create(new_salt(), "_sd_alg", "sha-256")
    if where == "top":
        payload: dict[str, object] = {"_sd": [sneaky.digest], "_sd_alg": "sha-256"}
    elif where == "nested":
        payload = {"address": {"_sd": [sneaky.digest]}, "_sd_alg": "sha-256"}
    else:
        element = Disclosure.create(new_salt(), None, {"_sd": [sneaky.digest]})
        payload = {"items": [{"...": element.digest}], "_sd_alg": "sha-256"}
    disclosures = [sneaky.encoded] + ([element.encoded] if where == "array element value" else [])
    issued = sign_compact_jws({"typ": "example+sd-jwt"}, payload, key) + "~"
    issued += "".join(d + "~" for d in disclosures)
    assert reason_of(issued, key) is ReasonCode.DISCLOSURE_CLAIM_CONFLICT


def test_duplicate_member_names_are_refused_in_header_payload_and_disclosures() -> None:
    key = SigningKey.generate()
    header = '{"alg":"ES256","typ":"example+sd-jwt"}'
    twice_in_header = signed_raw(key, '{"alg":"ES256","typ":"a","typ":"b"}', '{"iss":"x"}')
    assert reason_of(twice_in_header + "~", key) is ReasonCode.MALFORMED
    twice_in_payload = signed_raw(key, header, '{"iss":"x","iss":"y"}')
    assert reason_of(twice_in_payload + "~", key) is ReasonCode.MALFORMED
    encoded = b64url_encode(b'["salt", "address", {"city": "Aachen", "city": "Soest"}]')
    with pytest.raises(InvalidCredentialError) as refused:
        Disclosure.parse(encoded)
    assert refused.value.reason is ReasonCode.DISCLOSURE_MALFORMED


@pytest.mark.parametrize(("levels", "accepted"), [(30, True), (70, False)])
def test_disclosures_hidden_in_disclosures_have_a_depth_limit(levels: int, accepted: bool) -> None:
    key = SigningKey.generate()
    chain: list[Disclosure] = []
    digest: str | None = None
    for _ in range(levels):
        value = {"_sd": [digest]} if digest else {"end": True}
        chain.append(Disclosure.create(new_salt(), "nest", value))
        digest = chain[-1].digest
    issued = sign_compact_jws({"typ": "example+sd-jwt"}, {"_sd": [digest]}, key) + "~"
    issued += "".join(d.encoded + "~" for d in chain)
    if accepted:
        assert "nest" in verify_sd_jwt(issued, key.public_key).claims
    else:
        assert reason_of(issued, key) is ReasonCode.DISCLOSURE_MALFORMED


def test_json_from_tokens_is_parsed_strictly() -> None:
    assert json_loads_strict("[" * 64 + "]" * 64) is not None
    for bad in (
        "[" * 65 + "]" * 65,  # deeper than the limit
        "[" * 100_000 + "]" * 100_000,  # so deep that the parser itself would give up
        '{"a": 1, "a": 1}',  # duplicate member, even with the same value
        '{"exp": NaN}',
        "[Infinity]",
    ):
        with pytest.raises(ValueError):
            json_loads_strict(bad)


def test_base64url_must_be_canonical() -> None:
    assert b64url_decode("AA") == b"\0" and b64url_decode("AAA") == b"\0\0"
    for stray in ("AB", "AAB", "AAAAAB"):  # unused low bits set: a twin of "AA", "AAA", ...
        with pytest.raises(ValueError):
            b64url_decode(stray)
