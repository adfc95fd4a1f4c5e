"""Issue, present selectively with holder binding, verify: every type, both chains; and
each type's policy from DOMAIN.md."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from govchain.chain.types import CredentialStatus, LevelOfAssurance
from govchain.credentials import (
    CheckName,
    CheckOutcome,
    DangerousDogPermit,
    InMemoryNonceStore,
    KeyKind,
    LandlordConfirmation,
    NonceStore,
    Outcome,
    PolicyContext,
    ReasonCode,
    VerificationRequest,
    VerificationResult,
    Verifier,
    _samples,
    disclosable_claims,
    stored_claims,
)
from govchain.credentials.errors import VerifierConfigError
from govchain.credentials.sd_jwt import ClaimPath, present
from govchain.credentials.types import LOCAL_TIMEZONE, CitizenId, TimeWindow
from tests.credentials.conftest import AUDIENCE, CredWorld

CASES: list[tuple[str, Any, list[ClaimPath], PolicyContext, set[str]]] = [
    (
        "landlord",
        _samples.landlord_confirmation,
        [("residents", None), ("landlord", "name")],
        PolicyContext(),
        {"residents", "landlord", "event_date"},
    ),
    (
        "dog",
        _samples.dog_permit,
        [("dog", "chip_number"), ("insurance", "valid_until")],
        PolicyContext(chip_number=_samples.CHIP),
        {"dog", "insurance"},
    ),
    (
        "music",
        _samples.street_music_permit,
        [("performers", 1)],
        PolicyContext(zone="elisenbrunnen", instrument="Geige"),
        {"performers", "zones"},
    ),
    (
        "citizen",
        _samples.citizen_id,
        [("family_name",), ("pairwise_subjects", "stadtarchiv.aachen")],
        PolicyContext(min_level_of_assurance=LevelOfAssurance.HIGH),
        {"family_name", "pairwise_subjects", "level_of_assurance"},
    ),
]


def failed(result: VerificationResult, check: CheckName, reason: ReasonCode) -> None:
    assert result.outcome is Outcome.INVALID, result.to_json()
    found = result.check(check)
    assert (found.outcome, found.reason_code) == (CheckOutcome.FAILED, reason), result.to_json()


@pytest.mark.parametrize(("name", "make", "disclose", "context", "visible"), CASES)
def test_every_type_is_issued_presented_and_verified_on_both_chains(
    cw_any: CredWorld,
    name: str,
    make: Any,
    disclose: list[ClaimPath],
    context: PolicyContext,
    visible: set[str],
) -> None:
    cw = cw_any
    issued = cw.issuer.issue(make(cw.today()), holder=cw.holder.public_key)
    assert issued.serialized.count("~") >= 3 and issued.status is not None
    assert len(disclosable_claims(issued.serialized)) > len(disclose)
    presentation, nonce = cw.present(issued.serialized, disclose)
    assert presentation.count("~") < issued.serialized.count("~")  # fewer Disclosures
    result = cw.verify(presentation, nonce, context=context, expected_vct=issued.vct)
    assert result.valid, result.to_json()
    assert result.claims is not None and visible <= set(result.claims)
    everything = stored_claims(issued.serialized)
    assert everything != result.claims  # what was not disclosed stays in the wallet
    assert result.vct == issued.vct and result.issuer == cw.issuer.did


def _at(cw: CredWorld, day_offset: int, hour: int, minute: int = 0) -> int:
    day = cw.today() + timedelta(days=day_offset)
    return int(datetime.combine(day, time(hour, minute), LOCAL_TIMEZONE).timestamp())


def test_dog_policy_chip_number_insurance_and_what_must_be_disclosed(cw: CredWorld) -> None:
    issued = cw.issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    show = [("dog", "chip_number"), ("insurance", "valid_until")]
    presentation, nonce = cw.present(issued.serialized, show)
    failed(
        cw.verify(presentation, nonce, context=PolicyContext(chip_number="276098100000999")),
        CheckName.TYPE_POLICY,
        ReasonCode.CHIP_MISMATCH,
    )
    presentation, nonce = cw.present(issued.serialized, [("insurance", "valid_until")])
    result = cw.verify(presentation, nonce, context=PolicyContext(chip_number=_samples.CHIP))
    failed(result, CheckName.TYPE_POLICY, ReasonCode.CLAIM_NOT_DISCLOSED)
    assert "dog.chip_number" in result.check(CheckName.TYPE_POLICY).message_de

    later = _at(cw, 320, 12)  # insurance ran out after 300 days, the permit runs on
    presentation, nonce = cw.present(issued.serialized, show, issued_at=later)
    failed(
        cw.verify(presentation, nonce, at=later, context=PolicyContext(chip_number=_samples.CHIP)),
        CheckName.TYPE_POLICY,
        ReasonCode.INSURANCE_EXPIRED,
    )


def test_street_music_policy_dates_windows_zones_and_instruments(cw: CredWorld) -> None:
    record = _samples.street_music_permit(cw.today()).model_copy(
        update={"daily_windows": (TimeWindow(start=time(10), end=time(12)),)}
    )
    issued = cw.issuer.issue(record, holder=cw.holder.public_key)

    def check(at: int, context: PolicyContext) -> VerificationResult:
        presentation, nonce = cw.present(issued.serialized, [], issued_at=at)
        return cw.verify(presentation, nonce, at=at, context=context)

    assert check(_at(cw, 1, 11), PolicyContext(zone="markt", instrument="Gitarre")).valid
    failed(
        check(_at(cw, 1, 13), PolicyContext()),
        CheckName.TYPE_POLICY,
        ReasonCode.OUTSIDE_TIME_WINDOW,
    )
    failed(
        check(_at(cw, 1, 11), PolicyContext(zone="dom")),
        CheckName.TYPE_POLICY,
        ReasonCode.ZONE_NOT_ALLOWED,
    )
    failed(
        check(_at(cw, 1, 11), PolicyContext(zone="markt", instrument="Schlagzeug")),
        CheckName.TYPE_POLICY,
        ReasonCode.INSTRUMENT_NOT_ALLOWED,
    )
    result = check(_at(cw, 40, 11), PolicyContext())
    failed(result, CheckName.TYPE_POLICY, ReasonCode.OUTSIDE_PERMIT_DATES)
    assert result.check(CheckName.TIME_VALIDITY).reason_code is ReasonCode.EXPIRED


def test_landlord_confirmation_policy(cw: CredWorld) -> None:
    ctype = LandlordConfirmation.instance()
    now = datetime.fromtimestamp(cw.now(), LOCAL_TIMEZONE)
    for days, reason in ((-2, ReasonCode.MOVE_DATE_IN_FUTURE), (20, ReasonCode.MOVE_DATE_TOO_OLD)):
        record = _samples.landlord_confirmation(cw.today()).model_copy(
            update={"event_date": cw.today() - timedelta(days=days)}
        )
        issued = cw.issuer.issue(record, holder=cw.holder.public_key)
        presentation, nonce = cw.present(issued.serialized, [])
        failed(cw.verify(presentation, nonce), CheckName.TYPE_POLICY, reason)
    # A confirmation from a weakly identified landlord (as another issuer might sign it).
    claims = _samples.landlord_confirmation(cw.today()).model_dump(mode="json")
    claims["landlord_identity_loa"] = 1
    finding = ctype.check_policy(claims, now, PolicyContext())
    assert finding is not None and finding.reason is ReasonCode.LANDLORD_LOA_INSUFFICIENT
    assert ctype.check_policy(claims | {"landlord_identity_loa": 2}, now, PolicyContext()) is None


def test_citizen_id_minimum_level_and_issuer_level(cw: CredWorld) -> None:
    substantial = cw.issuer.issue(
        _samples.citizen_id(cw.today(), level=LevelOfAssurance.SUBSTANTIAL),
        holder=cw.holder.public_key,
    )
    presentation, nonce = cw.present(substantial.serialized, [("given_name",)])
    failed(
        cw.verify(
            presentation, nonce, context=PolicyContext(min_level_of_assurance=LevelOfAssurance.HIGH)
        ),
        CheckName.TYPE_POLICY,
        ReasonCode.LOA_BELOW_MINIMUM,
    )
    # An issuer accredited at "substanziell" may not issue a BürgerID asserting "hoch".
    _, issuer = cw.new_office({CitizenId.vct: LevelOfAssurance.SUBSTANTIAL})
    high = issuer.issue(_samples.citizen_id(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(high.serialized, [("given_name",)])
    failed(cw.verify(presentation, nonce), CheckName.TRUST, ReasonCode.ISSUER_LOA_INSUFFICIENT)
    low = issuer.issue(
        _samples.citizen_id(cw.today(), level=LevelOfAssurance.SUBSTANTIAL),
        holder=cw.holder.public_key,
    )
    presentation, nonce = cw.present(low.serialized, [("given_name",)])
    assert cw.verify(presentation, nonce).valid


def test_several_failures_are_reported_together(cw: CredWorld) -> None:
    issued = cw.issuer.issue(
        _samples.dog_permit(cw.today()), holder=cw.holder.public_key, valid_until=cw.now() - 3600
    )
    assert issued.status is not None
    cw.world.d.status.set_status(
        cw.world.office_admin, cw.list_id, issued.status.index, CredentialStatus.REVOKED
    )
    presentation, nonce = cw.present(issued.serialized, [("dog", "chip_number")])
    result = cw.verify(presentation, nonce, context=PolicyContext(chip_number="0" * 15))
    assert set(result.reasons) == {
        ReasonCode.EXPIRED,
        ReasonCode.REVOKED,
        ReasonCode.CHIP_MISMATCH,
    }
    assert result.to_json()["outcome"] == "invalid"


def test_an_eddsa_issuer_with_a_did_key_is_accepted(cw: CredWorld) -> None:
    _, issuer = cw.new_office(
        {CitizenId.vct: LevelOfAssurance.HIGH}, kind=KeyKind.ED25519, did_method="key"
    )
    assert issuer.did.startswith("did:key:z6Mk") and issuer.key.alg == "EdDSA"
    issued = issuer.issue(_samples.citizen_id(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, [("given_name",)])
    assert cw.verify(presentation, nonce).valid


# --- requests and verifiers that cannot work are refused when built (security review) -----------


def test_a_request_that_cannot_be_answered_is_refused_when_built() -> None:
    for bad in (
        {},  # holder binding (the default) without nonce and audience
        {"nonce": "n"},
        {"nonce": "", "audience": "a"},
        {"nonce": "n", "audience": "a", "at": 10**18},
        {"nonce": "n", "audience": "a", "at": True},
        {"nonce": "n", "audience": "a", "expected_vct": "https://vct.example/unknown"},
        {"expected_vct": DangerousDogPermit.vct, "require_holder_binding": False},
    ):
        with pytest.raises(VerifierConfigError) as refused:
            VerificationRequest(**bad)
        assert isinstance(refused.value, ValueError) and refused.value.message_de
    assert VerificationRequest(require_holder_binding=False).nonce is None


def test_a_type_requiring_holder_binding_is_checked_even_if_the_request_waives_it(
    cw: CredWorld,
) -> None:
    issued = cw.issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    assert DangerousDogPermit.instance().requires_holder_binding
    show: list[ClaimPath] = [("dog", "chip_number"), ("insurance", "valid_until")]
    presentation, nonce = cw.present(issued.serialized, show)
    context = PolicyContext(chip_number=_samples.CHIP)
    waived = VerificationRequest(require_holder_binding=False, at=cw.now(), context=context)
    result = cw.verifier.verify(presentation, waived)  # no exception, a result
    assert result.outcome is Outcome.CANNOT_VERIFY, result.to_json()
    binding = result.check(CheckName.HOLDER_BINDING)
    assert (binding.outcome, binding.reason_code) == (
        CheckOutcome.CANNOT_VERIFY,
        ReasonCode.HOLDER_BINDING_NOT_REQUESTED,
    )
    bare = present(issued.serialized, disclose=show)
    with_nonce = VerificationRequest(
        nonce=nonce, audience=AUDIENCE, at=cw.now(), context=context, require_holder_binding=False
    )
    failed(cw.verifier.verify(bare, with_nonce), CheckName.HOLDER_BINDING, ReasonCode.KB_MISSING)
    assert cw.verifier.verify(presentation, with_nonce).valid


def test_the_nonce_store_must_outlive_an_accepted_key_binding_jwt(cw: CredWorld) -> None:
    """A KB-JWT is accepted for kb_max_age + leeway seconds; a nonce forgotten sooner
    could be replayed."""
    with pytest.raises(VerifierConfigError):
        Verifier(status=cw.status, trust=cw.trust, nonces=InMemoryNonceStore(ttl=300))
    Verifier(status=cw.status, trust=cw.trust, nonces=InMemoryNonceStore(ttl=360))
    patient = Verifier(status=cw.status, trust=cw.trust, kb_max_age=3600)
    assert isinstance(patient.nonces, InMemoryNonceStore) and patient.nonces.ttl >= 3660
    with pytest.raises(VerifierConfigError):
        Verifier(status=cw.status, trust=cw.trust, leeway=-1)


class _Exploding(NonceStore):
    def consume(self, nonce: str, now: int) -> bool:
        raise RuntimeError("the nonce database is on fire")


def test_verify_never_raises_and_refuses_what_it_could_not_check(
    cw: CredWorld, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = Verifier(status=cw.status, trust=cw.trust, nonces=_Exploding(), clock=cw.now)
    issued = cw.issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, [("dog", "chip_number")])
    result = cw.verify(presentation, nonce, verifier=verifier)
    failed(result, CheckName.SIGNATURE, ReasonCode.MALFORMED)
    assert result.claims is None
    assert "unexpectedly" in caplog.text and "on fire" in caplog.text  # logged with traceback
    request = VerificationRequest(nonce="n", audience=AUDIENCE, at=cw.now())
    for junk in (None, b"bytes", 42, "~" * 100_000):
        failed(cw.verifier.verify(junk, request), CheckName.SIGNATURE, ReasonCode.MALFORMED)  # type: ignore[arg-type]
