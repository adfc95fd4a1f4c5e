"""One test per attack: each forged or misused presentation is refused with its own
reason code, on the check where it belongs, with a German and an English message."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from govchain.chain.types import CredentialStatus, LevelOfAssurance, OfficeStatus
from govchain.credentials import (
    CheckName,
    CheckOutcome,
    DangerousDogPermit,
    IssuedCredential,
    Outcome,
    PolicyContext,
    ReasonCode,
    SigningKey,
    StreetMusicPermit,
    VerificationResult,
    _samples,
    create_did,
)
from govchain.credentials._encoding import b64url_decode, b64url_encode, json_compact
from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.sd_jwt import Disclosure, create_key_binding_jwt, new_salt, present
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
