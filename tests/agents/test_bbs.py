"""BBS+ (BbsBlsSignature2020) end to end for the BürgerID with real agents: a
bls12381g2 issuer registered in the TrustRegistry issues over DIDComm to a bls12381g2
subject, the verifier asks with limit_disclosure for three claims only, ACA-Py verifies
the derived proof and JsonLdVerifier checks trust, status and policy on the chain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from govchain.agents import (
    AgentFleet,
    AgentRole,
    DidKeyType,
    DidKeyTypeError,
    ProofOutcome,
    ProofRequest,
    ProofType,
    connect,
    issue,
    request_proof,
)
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.types import CredentialStatus, Did, LevelOfAssurance
from govchain.credentials import _samples
from govchain.credentials.dids import resolve_did
from govchain.credentials.keys import KeyKind
from govchain.credentials.types import CitizenId, PolicyContext
from govchain.credentials.verification import CheckName, CheckOutcome, ReasonCode
from tests.agents.conftest import run
from tests.credentials.conftest import CredWorld

SHOWN = ("given_name", "family_name", "level_of_assurance")
WITHHELD = ("birth_date", "birth_place", "address", "nationalities", "enrolment")


def bbs_request(issuer_did: str, **context: Any) -> ProofRequest:
    return ProofRequest(
        CitizenId(),
        issuers=(issuer_did,),
        fields=SHOWN,
        limit_disclosure=True,
        proof_type=ProofType.BBS_BLS_2020,
        context=PolicyContext(**context),
    )


@dataclass(frozen=True)
class BbsFlow:
    issuer_did: str
    holder_did: str
    stored: dict[str, Any]
    shown: ProofOutcome
    after_revocation: ProofOutcome
    issuer_exchanges_before_guard: int
    issuer_exchanges_after_guard: int
    guard_errors: tuple[DidKeyTypeError, ...]


@pytest.fixture(scope="module")
def bbs(fleet: AgentFleet, chain: CredWorld) -> BbsFlow:
    """One citizen, one BürgerID with BBS+: issue, prove selectively, revoke, prove again;
    then the guard against non-BLS DIDs on the same connection."""
    checks = JsonLdVerifier(status=chain.status, trust=chain.trust, clock=chain.now)

    async def body() -> BbsFlow:
        async with (
            fleet.client(AgentRole.ISSUER) as issuer,
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
        ):
            issuer_did = (await issuer.create_did(DidKeyType.BLS12381G2)).did
            key = resolve_did(issuer_did).key  # the blocker: this refused BLS keys before
            chain.world.d.trust.register_did(
                chain.world.office_admin, chain.office, Did(issuer_did), key.thumbprint()
            )
            wallet = await holder.create_subwallet("Erika", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as citizen:
                allocation = chain.issuer.status_list
                assert allocation is not None
                reference = allocation.allocate()
                to_citizen = await connect(issuer, citizen)
                claims = _samples.citizen_id(chain.today(), level=LevelOfAssurance.HIGH)
                issued = await issue(
                    to_citizen,
                    claims,
                    vct=CitizenId.vct,
                    issuer_did=issuer_did,
                    status=reference,
                    issued_at=chain.now(),
                    proof_type=ProofType.BBS_BLS_2020,
                )
                (stored,) = await citizen.w3c_credentials(given_id=issued.credential_id)
                to_verifier = await connect(verifier, citizen)
                shown = await request_proof(
                    to_verifier,
                    bbs_request(issuer_did, min_level_of_assurance=LevelOfAssurance.SUBSTANTIAL),
                    verifier=checks,
                    at=chain.now(),
                )
                chain.world.d.status.set_status(
                    chain.world.office_admin,
                    chain.list_id,
                    reference.index,
                    CredentialStatus.REVOKED,
                )
                after = await request_proof(
                    to_verifier, bbs_request(issuer_did), verifier=checks, at=chain.now()
                )
                # the guard: an Ed25519 subject (or issuer) for BBS+ is refused up front
                before = len(await issuer.credential_exchanges())
                ed25519_holder = (await citizen.create_did(DidKeyType.ED25519)).did
                ed25519_issuer = (await issuer.create_did(DidKeyType.ED25519)).did
                errors = []
                for issuer_id, holder_id in (
                    (issuer_did, ed25519_holder),
                    (ed25519_issuer, issued.holder_did),
                    (issuer_did, "did:jwk:eyJrdHkiOiJFQyJ9"),
                ):
                    with pytest.raises(DidKeyTypeError) as caught:
                        await issue(
                            to_citizen,
                            claims,
                            vct=CitizenId.vct,
                            issuer_did=issuer_id,
                            holder_did=holder_id,
                            status=allocation.allocate(),
                            issued_at=chain.now(),
                            proof_type=ProofType.BBS_BLS_2020,
                        )
                    errors.append(caught.value)
                after_guard = len(await issuer.credential_exchanges())
                return BbsFlow(
                    issuer_did,
                    issued.holder_did,
                    stored,
                    shown,
                    after,
                    before,
                    after_guard,
                    tuple(errors),
                )

    return run(body())


def test_bbs_buergerid_is_issued_between_bls12381g2_did_keys(bbs: BbsFlow) -> None:
    assert bbs.issuer_did.startswith("did:key:zUC7")
    assert bbs.holder_did.startswith("did:key:zUC7")
    assert resolve_did(bbs.holder_did).key.kind is KeyKind.BLS12381G2
    assert bbs.stored["proof_types"] == ["BbsBlsSignature2020"]
    subject = bbs.stored["cred_value"]["credentialSubject"]
    assert subject["id"] == bbs.holder_did
    assert all(claim in subject for claim in (*SHOWN, *WITHHELD))  # all signed


def test_selective_proof_is_verified_by_acapy_and_the_chain(bbs: BbsFlow) -> None:
    outcome = bbs.shown
    assert outcome.exchange.is_verified, outcome.exchange.error_msg
    result = outcome.result
    assert result.valid, result
    assert result.issuer == bbs.issuer_did and result.vct == CitizenId.vct
    passed = {c.name for c in result.checks if c.outcome is CheckOutcome.PASSED}
    assert {
        CheckName.TRUST,
        CheckName.STATUS,
        CheckName.TYPE_POLICY,
        CheckName.HOLDER_BINDING,
    } <= passed
    assert outcome.credential is not None and outcome.presentation is not None
    assert outcome.credential["proof"]["type"] == "BbsBlsSignatureProof2020"
    signer = str(outcome.presentation["proof"]["verificationMethod"]).split("#")[0]
    assert signer == bbs.holder_did  # the holder's bls12381g2 key signed the presentation


def test_the_presented_credential_holds_only_the_requested_claims(bbs: BbsFlow) -> None:
    credential = bbs.shown.credential
    assert credential is not None
    subject = credential["credentialSubject"]
    assert set(subject) - {"id", "type"} == set(SHOWN), subject
    for claim in WITHHELD:
        assert claim not in subject
    assert subject["given_name"] == "Ana" and subject["id"] == bbs.holder_did
    # what govchain needs to check validity and status is disclosed as well
    assert "validFrom" in credential
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and "statusListIndex" in status
    # named statusMessage items: blank nodes there would break ACA-Py's derived proof
    assert all(m["id"].startswith(status["id"] + "-") for m in status["statusMessage"])
    claims = bbs.shown.result.claims
    assert claims is not None and set(claims) == set(SHOWN)


def test_a_revoked_bbs_buergerid_is_refused(bbs: BbsFlow) -> None:
    outcome = bbs.after_revocation
    assert outcome.exchange.is_verified, outcome.exchange.error_msg
    assert not outcome.result.valid
    assert ReasonCode.REVOKED in outcome.result.reasons, outcome.result


def test_bbs_needs_bls12381g2_did_keys_and_nothing_is_sent_otherwise(bbs: BbsFlow) -> None:
    subject, issuer, not_a_key = bbs.guard_errors
    assert subject.role == "credential subject" and issuer.role == "issuer"
    assert "is not a bls12381g2 did:key (its key is Ed25519)" in str(subject)
    assert "would fail silently" in str(subject)
    assert "kein bls12381g2-did:key" in subject.message_de
    assert "stillschweigend" in subject.message_de
    assert "not a did:key" in str(not_a_key)
    assert bbs.issuer_exchanges_after_guard == bbs.issuer_exchanges_before_guard


def test_limit_disclosure_asks_for_validity_and_status_and_needs_bbs() -> None:
    request = bbs_request("did:key:zUC7x")
    (descriptor,) = request.definition()["input_descriptors"]
    paths = [f["path"] for f in descriptor["constraints"]["fields"]]
    assert ["$.validFrom", "$.validUntil"] in paths and ["$.credentialStatus"] in paths
    assert request.definition()["format"] == {"ldp_vp": {"proof_type": ["BbsBlsSignature2020"]}}
    with pytest.raises(ValueError, match="limit_disclosure needs proof_type"):
        ProofRequest(CitizenId(), fields=("given_name",), limit_disclosure=True)
