"""One test per attack: each forged or misused presentation is refused with its own
reason code, on the check where it belongs, with a German and an English message."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from eth_typing import ChecksumAddress

from govchain.chain.types import (
    CredentialStatus,
    Did,
    LevelOfAssurance,
    OfficeId,
    OfficeStatus,
    StatusListRecord,
)
from govchain.credentials import (
    CheckName,
    CheckOutcome,
    DangerousDogPermit,
    IssuedCredential,
    Issuer,
    Outcome,
    PolicyContext,
    RandomIndexAllocator,
    ReasonCode,
    SigningKey,
    StatusListAllocation,
    StatusSource,
    StreetMusicPermit,
    TrustSource,
    TrustUnavailableError,
    TrustVerdict,
    VerificationResult,
    Verifier,
    _samples,
    create_did,
)
from govchain.credentials._encoding import b64url_decode, b64url_encode, json_compact
from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.sd_jwt import Disclosure, create_key_binding_jwt, new_salt, present
from govchain.credentials.status import MIN_LIST_SIZE
from govchain.credentials.verification import MAX_PRESENTATION_LENGTH
from tests.conftest import advance_time
from tests.credentials.conftest import AUDIENCE, CredWorld

DOG = DangerousDogPermit.vct
SHOW_DOG = [("holder", "family_name"), ("dog", "chip_number"), ("insurance", "valid_until")]
CONTEXT = PolicyContext(chip_number=_samples.CHIP)


def refused(result: VerificationResult, check: CheckName, reason: ReasonCode) -> None:
    assert result.outcome is Outcome.INVALID, result.to_json()
    found = result.check(check)
    assert (found.outcome, found.reason_code) == (CheckOutcome.FAILED, reason), result.to_json()
    assert found.message_de and found.message_en and found.message_de != found.message_en
    assert "{" not in found.message_de + found.message_en


def issue_dog(
    cw: CredWorld, *, valid_from: int | None = None, valid_until: int | None = None
) -> IssuedCredential:
    return cw.issuer.issue(
        _samples.dog_permit(cw.today()),
        holder=cw.holder.public_key,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def split(presentation: str) -> tuple[str, list[str], str]:
    parts = presentation.split("~")
    return parts[0], parts[1:-1], parts[-1]


def join(jwt: str, disclosures: list[str], kb: str = "") -> str:
    return jwt + "~" + "".join(d + "~" for d in disclosures) + kb


def rekey(cw: CredWorld, jwt: str, disclosures: list[str], nonce: str) -> str:
    """Re-sign the KB-JWT as the honest holder would (a holder tampering with its own
    credential can always do this), so only the disclosure check can catch it."""
    body = join(jwt, disclosures)
    return body + create_key_binding_jwt(
        body, cw.holder, nonce=nonce, audience=AUDIENCE, issued_at=cw.now()
    )


def jws(header: dict[str, object], payload: dict[str, object], sign: bytes = b"") -> str:
    head = b64url_encode(json_compact(header).encode())
    body = b64url_encode(json_compact(payload).encode())
    return f"{head}.{body}.{b64url_encode(sign)}"


def decoded(jwt: str) -> tuple[dict[str, object], dict[str, object]]:
    head, body, _ = jwt.split(".")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body))


def test_the_honest_presentation_is_valid(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    result = cw.verify(presentation, nonce, context=CONTEXT)
    assert result.valid, result.to_json()
    assert [c.outcome for c in result.checks] == [CheckOutcome.PASSED] * 7
    assert result.claims is not None and result.claims["dog"]["chip_number"] == _samples.CHIP
    assert "name" not in result.claims["dog"]  # not disclosed


# --- the issuer's signature -------------------------------------------------------------------


def test_alg_none_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    forged = jws({**header, "alg": "none"}, payload)
    refused(
        cw.verify(join(forged, disclosures, kb), nonce), CheckName.SIGNATURE, ReasonCode.ALG_NONE
    )


def test_hs256_key_confusion_is_refused(cw: CredWorld) -> None:
    """The attacker MACs with the issuer's *public* key as HMAC secret."""
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    payload["exp"] = 4_000_000_000
    secret = json_compact(cw.issuer.key.public_key.jwk).encode()
    head = b64url_encode(json_compact({**header, "alg": "HS256"}).encode())
    body = b64url_encode(json_compact(payload).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{body}.{b64url_encode(mac)}"
    result = cw.verify(join(forged, disclosures, kb), nonce)
    refused(result, CheckName.SIGNATURE, ReasonCode.ALG_NOT_ALLOWED)
    assert "HS256" in result.check(CheckName.SIGNATURE).message_en


def test_a_credential_signed_with_another_key_than_the_issuers_is_refused(cw: CredWorld) -> None:
    """The forger signs with its own key (and names it): the key is not the issuer's."""
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    forger = SigningKey.generate()
    forger_kid = create_did(forger.public_key) + "#0"
    forged = sign_compact_jws({**header, "kid": forger_kid}, payload, forger)
    result = cw.verify(join(forged, disclosures, kb), nonce)
    refused(result, CheckName.SIGNATURE, ReasonCode.ISSUER_KEY_MISMATCH)
    # Later checks are not made on an unverified credential, and say so.
    assert result.check(CheckName.STATUS).reason_code is ReasonCode.NOT_CHECKED
    assert result.claims is None


def test_a_forgery_claiming_the_issuers_key_fails_the_signature(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    forged = sign_compact_jws(header, payload, SigningKey.generate())
    result = cw.verify(join(forged, disclosures, kb), nonce)
    refused(result, CheckName.SIGNATURE, ReasonCode.SIGNATURE_INVALID)


def test_a_tampered_payload_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    head, _, signature = jwt.split(".")
    _, payload = decoded(jwt)
    payload["valid_until"] = "2099-12-31"
    payload["exp"] = 4_102_441_200
    tampered = f"{head}.{b64url_encode(json_compact(payload).encode())}.{signature}"
    refused(
        cw.verify(join(tampered, disclosures, kb), nonce),
        CheckName.SIGNATURE,
        ReasonCode.SIGNATURE_INVALID,
    )


def test_a_credential_of_another_type_of_token_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    other = sign_compact_jws({**header, "typ": "JWT"}, payload, cw.issuer.key)
    refused(
        cw.verify(join(other, disclosures, kb), nonce), CheckName.SIGNATURE, ReasonCode.TYP_INVALID
    )


# --- disclosures -------------------------------------------------------------------------------


def test_a_tampered_disclosure_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    chip = next(d for d in disclosures if Disclosure.parse(d).name == "chip_number")
    original = Disclosure.parse(chip)
    altered = Disclosure.create(original.salt, "chip_number", "276098100000001").encoded
    swapped = [altered if d == chip else d for d in disclosures]
    refused(
        cw.verify(rekey(cw, jwt, swapped, nonce), nonce),
        CheckName.DISCLOSURES,
        ReasonCode.DISCLOSURE_TAMPERED,
    )


def test_a_duplicated_disclosure_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    refused(
        cw.verify(rekey(cw, jwt, [*disclosures, disclosures[0]], nonce), nonce),
        CheckName.DISCLOSURES,
        ReasonCode.DISCLOSURE_DUPLICATED,
    )


def test_a_foreign_disclosure_is_refused(cw: CredWorld) -> None:
    """A Disclosure lifted from the same holder's BürgerID into the dog permit."""
    citizen = cw.issuer.issue(_samples.citizen_id(cw.today()), holder=cw.holder.public_key)
    birth_place = next(
        d for d in citizen.serialized.split("~")[1:-1] if Disclosure.parse(d).name == "birth_place"
    )
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    result = cw.verify(rekey(cw, jwt, [*disclosures, birth_place], nonce), nonce)
    refused(result, CheckName.DISCLOSURES, ReasonCode.DISCLOSURE_FOREIGN)
    assert "birth_place" in result.check(CheckName.DISCLOSURES).message_en


def test_a_disclosure_whose_digest_is_not_in_sd_is_refused(cw: CredWorld) -> None:
    """The digest does occur in the signed payload, but as a plain value, not in _sd."""
    smuggled = Disclosure.create(new_salt(), "keeper_name", "Mallory")
    record = _samples.dog_permit(cw.today()).model_copy(update={"conditions": (smuggled.digest,)})
    issued = cw.issuer.issue(record, holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    refused(
        cw.verify(rekey(cw, jwt, [*disclosures, smuggled.encoded], nonce), nonce),
        CheckName.DISCLOSURES,
        ReasonCode.DISCLOSURE_NOT_IN_SD,
    )


def test_an_undecodable_disclosure_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    refused(
        cw.verify(rekey(cw, jwt, [*disclosures, "not+base64url!"], nonce), nonce),
        CheckName.DISCLOSURES,
        ReasonCode.DISCLOSURE_MALFORMED,
    )


# --- holder binding ---------------------------------------------------------------------------


def test_a_presentation_without_key_binding_jwt_is_refused(cw: CredWorld) -> None:
    bare = present(issue_dog(cw).serialized, disclose=SHOW_DOG)
    refused(
        cw.verify(bare, "some-nonce", context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_MISSING,
    )


def test_a_wrong_nonce_is_refused(cw: CredWorld) -> None:
    presentation, _ = cw.present(issue_dog(cw).serialized, SHOW_DOG, nonce="old-nonce")
    refused(
        cw.verify(presentation, "the-verifiers-nonce", context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_NONCE_MISMATCH,
    )


def test_a_replayed_presentation_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    assert cw.verify(presentation, nonce, context=CONTEXT).valid
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_NONCE_REPLAYED,
    )


def test_a_presentation_for_another_verifier_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(
        issue_dog(cw).serialized, SHOW_DOG, audience="https://other-verifier.example"
    )
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_AUD_MISMATCH,
    )


def test_a_key_binding_jwt_signed_by_another_key_is_refused(cw: CredWorld) -> None:
    """Someone who copied the credential but not the wallet's key."""
    presentation, nonce = cw.present(
        issue_dog(cw).serialized, SHOW_DOG, holder=SigningKey.generate()
    )
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_SIGNATURE_INVALID,
    )


def test_a_disclosure_added_after_key_binding_is_refused(cw: CredWorld) -> None:
    issued = issue_dog(cw)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    extra = next(
        d
        for d in issued.serialized.split("~")[1:-1]
        if d not in disclosures and Disclosure.parse(d).name == "birth_date"
    )
    refused(
        cw.verify(join(jwt, [*disclosures, extra], kb), nonce, context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_SD_HASH_MISMATCH,
    )


def test_a_stale_key_binding_jwt_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG, issued_at=cw.now() - 3600)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_IAT_INVALID,
    )


# --- time validity ------------------------------------------------------------------------------


def test_an_expired_credential_is_refused(cw: CredWorld) -> None:
    issued = issue_dog(cw, valid_until=cw.now() - 3600)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    result = cw.verify(presentation, nonce, context=CONTEXT)
    refused(result, CheckName.TIME_VALIDITY, ReasonCode.EXPIRED)
    assert result.check(CheckName.STATUS).outcome is CheckOutcome.PASSED  # every check ran


def test_a_credential_not_yet_valid_is_refused(cw: CredWorld) -> None:
    issued = issue_dog(cw, valid_from=cw.now() + 86_400)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.TIME_VALIDITY,
        ReasonCode.NOT_YET_VALID,
    )


# --- status -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CredentialStatus.REVOKED, ReasonCode.REVOKED),
        (CredentialStatus.SUSPENDED, ReasonCode.SUSPENDED),
    ],
)
def test_revoked_and_suspended_credentials_are_refused(
    cw: CredWorld, status: CredentialStatus, reason: ReasonCode
) -> None:
    issued = issue_dog(cw)
    assert issued.status is not None
    cw.world.d.status.set_status(cw.world.office_admin, cw.list_id, issued.status.index, status)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(cw.verify(presentation, nonce, context=CONTEXT), CheckName.STATUS, reason)


# --- trust ----------------------------------------------------------------------------------------


def test_an_unknown_issuer_is_refused(cw: CredWorld) -> None:
    """A well-formed, correctly signed credential from a DID the registry never saw."""
    _, stranger = cw.new_office({DOG: LevelOfAssurance.HIGH}, register_did=False)
    issued = stranger.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT), CheckName.TRUST, ReasonCode.ISSUER_UNKNOWN
    )


def test_an_issuer_not_accredited_for_the_type_is_refused(cw: CredWorld) -> None:
    _, dog_only = cw.new_office({DOG: LevelOfAssurance.SUBSTANTIAL})
    issued = dog_only.issue(_samples.street_music_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, [("performers", None)])
    refused(cw.verify(presentation, nonce), CheckName.TRUST, ReasonCode.ISSUER_NOT_ACCREDITED)


def test_an_accreditation_that_ended_before_issuance_is_refused(cw: CredWorld) -> None:
    office, issuer = cw.new_office({DOG: LevelOfAssurance.SUBSTANTIAL})
    cw.world.d.trust.end_accreditation(cw.world.aachen, office, DOG, 0)
    issued = issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.TRUST,
        ReasonCode.ACCREDITATION_ENDED,
    )


def test_a_suspended_office_is_refused(cw: CredWorld) -> None:
    office, issuer = cw.new_office({DOG: LevelOfAssurance.SUBSTANTIAL})
    issued = issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    cw.world.d.trust.set_office_status(cw.world.aachen, office, OfficeStatus.SUSPENDED)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.TRUST,
        ReasonCode.OFFICE_NOT_ACTIVE,
    )


def test_an_issuer_accredited_below_the_types_level_is_refused(cw: CredWorld) -> None:
    _, issuer = cw.new_office({DOG: LevelOfAssurance.LOW})
    issued = issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.TRUST,
        ReasonCode.ISSUER_LOA_INSUFFICIENT,
    )


def test_a_did_registered_with_another_key_thumbprint_is_refused(cw: CredWorld) -> None:
    office, issuer = cw.new_office({DOG: LevelOfAssurance.HIGH}, register_did=False)
    cw.world.d.trust.register_did(cw.world.office_admin, office, issuer.did, b"\x01" * 32)
    issued = issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.TRUST,
        ReasonCode.ISSUER_KEY_NOT_REGISTERED,
    )


def test_a_presentation_of_another_type_than_requested_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT, expected_vct=StreetMusicPermit.vct),
        CheckName.TYPE_POLICY,
        ReasonCode.TYPE_UNEXPECTED,
    )


def test_garbage_is_refused_without_an_exception(cw: CredWorld) -> None:
    deep = b64url_encode(b"[" * 100_000) + ".e30.AA~"
    for junk in ("", "~", "a.b.c~", "eyJhbGciOiJFUzI1NiJ9~", "x" * 5000, deep):
        result = cw.verify(junk, "n")
        assert result.outcome is Outcome.INVALID
        assert result.check(CheckName.SIGNATURE).reason_code is ReasonCode.MALFORMED


# --- findings of the security review: malformed input never crashes, never passes ----------


def reissued(cw: CredWorld, presentation: str, nonce: str, **changes: object) -> str:
    """The presentation with its payload changed and signed again with the issuer's key:
    what a careless or malicious issuer could hand out, so only the later checks can
    catch it."""
    jwt, disclosures, _ = split(presentation)
    header, payload = decoded(jwt)
    payload.update(changes)
    return rekey(cw, sign_compact_jws(header, payload, cw.issuer.key), disclosures, nonce)


def signed_raw(key: SigningKey, header: str, body: str) -> str:
    """A JWS over header and payload JSON exactly as written (duplicates and all)."""
    signing_input = f"{b64url_encode(header.encode())}.{b64url_encode(body.encode())}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


@pytest.mark.parametrize("alg", [["ES256"], {"ES256": True}, 256, True])
def test_an_alg_that_is_not_a_string_is_refused_without_an_exception(
    cw: CredWorld, alg: object
) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    header, payload = decoded(jwt)
    forged = jws({**header, "alg": alg}, payload, b"\0" * 64)
    refused(
        cw.verify(join(forged, disclosures, kb), nonce),
        CheckName.SIGNATURE,
        ReasonCode.ALG_NOT_ALLOWED,
    )
    kb_header, kb_payload = decoded(kb)
    forged_kb = jws({**kb_header, "alg": alg}, kb_payload, b"\0" * 64)
    refused(
        cw.verify(join(jwt, disclosures, forged_kb), nonce, context=CONTEXT),
        CheckName.HOLDER_BINDING,
        ReasonCode.KB_SIGNATURE_INVALID,
    )


@pytest.mark.parametrize(
    "times",
    [
        {"exp": -(10**18)},
        {"nbf": 10**18},
        {"iat": 10**18},
        {"exp": 2**40 + 1},
        {"iat": True},
        {"exp": 1.5e9},
        {"nbf": "tomorrow"},
    ],
    ids=repr,
)
def test_out_of_range_or_non_integer_times_are_malformed_not_a_crash(
    cw: CredWorld, times: dict[str, object]
) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    result = cw.verify(reissued(cw, presentation, nonce, **times), nonce, context=CONTEXT)
    refused(result, CheckName.TIME_VALIDITY, ReasonCode.MALFORMED)


def test_deeply_nested_json_is_malformed_not_a_recursion_error(cw: CredWorld) -> None:
    nested: dict[str, object] = {}
    inner = nested
    for _ in range(400):
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    for deep in (nested, json.loads("[" * 900 + "]" * 900)):
        presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
        result = cw.verify(reissued(cw, presentation, nonce, x=deep), nonce, context=CONTEXT)
        refused(result, CheckName.SIGNATURE, ReasonCode.MALFORMED)


def test_disclosures_nested_in_one_another_too_deeply_are_refused(cw: CredWorld) -> None:
    """Each Disclosure is shallow; 70 of them, each hiding the next, are not."""
    chain: list[Disclosure] = []
    digest: str | None = None
    for _ in range(70):
        value = {"_sd": [digest]} if digest else {"end": True}
        chain.append(Disclosure.create(new_salt(), "nest", value))
        digest = chain[-1].digest
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    header, payload = decoded(jwt)
    payload["_sd"] = [*payload.get("_sd", []), digest]  # type: ignore[misc]
    forged = sign_compact_jws(header, payload, cw.issuer.key)
    refused(
        cw.verify(rekey(cw, forged, [*disclosures, *(d.encoded for d in chain)], nonce), nonce),
        CheckName.DISCLOSURES,
        ReasonCode.DISCLOSURE_MALFORMED,
    )


def test_an_oversized_presentation_is_refused_before_any_work(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    padded = join(jwt, [*disclosures, *[disclosures[0][:-1] + "A"] * 2000], kb)
    assert len(padded) > MAX_PRESENTATION_LENGTH
    result = cw.verify(padded, nonce)
    refused(result, CheckName.SIGNATURE, ReasonCode.MALFORMED)
    assert str(MAX_PRESENTATION_LENGTH) in result.check(CheckName.SIGNATURE).message_en


def test_an_overlong_issuer_did_is_refused_without_decoding_it(cw: CredWorld) -> None:
    """base58 decoding is quadratic: a 40,000-character did:key would take seconds."""
    issuer = "did:key:z" + "2" * 40_000
    unsigned = jws({"alg": "ES256", "typ": "dc+sd-jwt"}, {"iss": issuer}, b"\0" * 64) + "~"
    result = cw.verify(unsigned, "n")
    refused(result, CheckName.SIGNATURE, ReasonCode.ISSUER_INVALID)
    assert "too long" in result.check(CheckName.SIGNATURE).message_en


def test_a_signature_with_stray_base64url_bits_is_refused(cw: CredWorld) -> None:
    """The last character of a 64-byte signature carries 4 unused bits; setting one
    yields another string that lax decoders read as the same signature."""
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, kb = split(presentation)
    head, body, signature = jwt.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]
    assert twin != signature
    result = cw.verify(join(f"{head}.{body}.{twin}", disclosures, kb), nonce)
    refused(result, CheckName.SIGNATURE, ReasonCode.MALFORMED)


def test_duplicate_member_names_in_a_signed_payload_are_refused(cw: CredWorld) -> None:
    """Two ``vct`` members: one parser would read the first, another the last."""
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    header, payload = decoded(jwt)
    body = json_compact(payload)[:-1] + ',"vct":"https://vct.example/other"}'
    forged = signed_raw(cw.issuer.key, json_compact(header), body)
    refused(
        cw.verify(rekey(cw, forged, disclosures, nonce), nonce),
        CheckName.SIGNATURE,
        ReasonCode.MALFORMED,
    )


def test_a_disclosure_named_sd_alg_is_refused(cw: CredWorld) -> None:
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    jwt, disclosures, _ = split(presentation)
    header, payload = decoded(jwt)
    sneaky = Disclosure.create(new_salt(), "_sd_alg", "sha-256")
    payload["_sd"] = sorted([*payload.get("_sd", []), sneaky.digest])  # type: ignore[misc]
    forged = sign_compact_jws(header, payload, cw.issuer.key)
    refused(
        cw.verify(rekey(cw, forged, [*disclosures, sneaky.encoded], nonce), nonce),
        CheckName.DISCLOSURES,
        ReasonCode.DISCLOSURE_CLAIM_CONFLICT,
    )


# --- status: fail closed, and only the issuing office's own lists count -------------------


class _Answering(StatusSource):
    """The chain's lists, except that every entry reads as ``value`` (or raises)."""

    def __init__(self, real: StatusSource, value: object = None, error: Exception | None = None):
        self.real, self.value, self.error = real, value, error

    def status(self, uri: str, index: int) -> CredentialStatus:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]

    def packed_list(self, uri: str) -> bytes:
        return self.real.packed_list(uri)

    def list_record(self, uri: str) -> StatusListRecord:
        return self.real.list_record(uri)


@pytest.mark.parametrize("value", [7, None, 0, "valid", 3])
def test_a_status_other_than_exactly_valid_fails_closed(cw: CredWorld, value: object) -> None:
    verifier = Verifier(status=_Answering(cw.status, value), trust=cw.trust, clock=cw.now)
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT, verifier=verifier),
        CheckName.STATUS,
        ReasonCode.STATUS_VALUE_UNKNOWN,
    )


@pytest.mark.parametrize("error", [RuntimeError("boom"), RecursionError(), KeyError("x")])
def test_a_status_source_failing_unexpectedly_gives_cannot_verify(
    cw: CredWorld, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = Verifier(status=_Answering(cw.status, error=error), trust=cw.trust, clock=cw.now)
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    result = cw.verify(presentation, nonce, context=CONTEXT, verifier=verifier)
    assert result.outcome is Outcome.CANNOT_VERIFY, result.to_json()
    status = result.check(CheckName.STATUS)
    assert (status.outcome, status.reason_code) == (
        CheckOutcome.CANNOT_VERIFY,
        ReasonCode.STATUS_UNAVAILABLE,
    )
    assert "status source failed unexpectedly" in caplog.text  # logged, not swallowed


@pytest.mark.parametrize("index", [MIN_LIST_SIZE, 2**32 - 1, 2**32, 2**255, 10**80, -1])
def test_an_index_outside_the_list_is_an_invalid_reference(cw: CredWorld, index: int) -> None:
    """Beyond the list or beyond uint32: the reference is wrong ("invalid"), not the
    chain unreachable ("cannot verify")."""
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    claim = {"status_list": {"idx": index, "uri": cw.status.list_uri(cw.list_id)}}
    refused(
        cw.verify(reissued(cw, presentation, nonce, status=claim), nonce, context=CONTEXT),
        CheckName.STATUS,
        ReasonCode.STATUS_REFERENCE_INVALID,
    )


def test_a_status_list_of_another_office_is_refused(cw: CredWorld) -> None:
    """An accredited office points its credentials at the first office's list, where
    nobody will ever revoke them."""
    _, other = cw.new_office({DOG: LevelOfAssurance.HIGH}, admin=cw.world.other_office)
    issued = other.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    assert issued.status is not None and issued.status.uri == cw.status.list_uri(cw.list_id)
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    result = cw.verify(presentation, nonce, context=CONTEXT)
    refused(result, CheckName.STATUS, ReasonCode.STATUS_LIST_FOREIGN)
    assert result.check(CheckName.TRUST).outcome is CheckOutcome.PASSED  # trusted otherwise


def test_a_status_list_created_after_issuance_is_refused(cw: CredWorld) -> None:
    d = cw.world.d
    future = cw.status.list_uri(d.status.list_count())
    issuer = Issuer(
        cw.issuer.key,
        did=cw.issuer.did,
        status_list=StatusListAllocation(future, RandomIndexAllocator(future, MIN_LIST_SIZE)),
        clock=cw.now,
    )
    issued = issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    advance_time(cw.gateway, 10)
    list_id, _ = d.status.create_list(cw.world.office_admin)
    assert cw.status.list_uri(list_id) == future
    presentation, nonce = cw.present(issued.serialized, SHOW_DOG)
    refused(
        cw.verify(presentation, nonce, context=CONTEXT),
        CheckName.STATUS,
        ReasonCode.STATUS_LIST_AFTER_ISSUANCE,
    )


class _NoOffices(TrustSource):
    """The chain's trust decisions, but office records cannot be read."""

    def __init__(self, real: TrustSource) -> None:
        self.real = real

    def trust_at(self, did: Did, vct: str, at: int) -> TrustVerdict:
        return self.real.trust_at(did, vct, at)

    def office_admin(self, office: OfficeId) -> ChecksumAddress:
        raise TrustUnavailableError("node down")


def test_a_status_list_owner_that_cannot_be_read_gives_cannot_verify(cw: CredWorld) -> None:
    verifier = Verifier(status=cw.status, trust=_NoOffices(cw.trust), clock=cw.now)
    presentation, nonce = cw.present(issue_dog(cw).serialized, SHOW_DOG)
    result = cw.verify(presentation, nonce, context=CONTEXT, verifier=verifier)
    assert result.outcome is Outcome.CANNOT_VERIFY, result.to_json()
    status = result.check(CheckName.STATUS)
    assert (status.outcome, status.reason_code) == (
        CheckOutcome.CANNOT_VERIFY,
        ReasonCode.STATUS_OWNER_UNAVAILABLE,
    )
