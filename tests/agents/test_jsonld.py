"""govchain's credentials as VCDM 2.0 JSON-LD over DIDComm through ``govchain.agents``'
exchange layer (connect / issue / request_proof), with status and trust on a real
(embedded) chain; contexts come from govchain's loopback server via the ACA-Py plugin."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass

import pytest

from govchain.agents import (
    AgentFleet,
    AgentRole,
    DidKeyType,
    ProofOutcome,
    ProofRequest,
    ProofType,
    connect,
    issue,
    request_proof,
)
from govchain.agents.jsonld import (
    VCDM2_CONTEXT,
    context_document,
    context_url,
    shipped_context,
)
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.types import CredentialStatus, Did
from govchain.credentials import _samples, credential_types
from govchain.credentials.dids import resolve_did
from govchain.credentials.types import (
    CitizenId,
    CredentialClaims,
    CredentialType,
    DangerousDogPermit,
    LandlordConfirmation,
    PolicyContext,
    StreetMusicPermit,
)
from govchain.credentials.verification import ReasonCode
from tests.agents.conftest import run
from tests.credentials.conftest import CredWorld


def test_shipped_contexts_match_the_models() -> None:
    for ctype in credential_types():
        shipped = shipped_context(context_url(ctype))
        assert shipped is not None
        assert json.loads(shipped) == context_document(ctype)


def test_definition_asks_for_the_type_the_issuer_and_the_required_claims() -> None:
    request = ProofRequest(StreetMusicPermit(), issuers=("did:key:z6MkA",))
    (descriptor,) = request.definition()["input_descriptors"]
    paths = [f["path"][0] for f in descriptor["constraints"]["fields"]]
    assert paths[:2] == ["$.type[*]", "$.issuer"]
    assert "$.credentialSubject.permit_number" in paths
    assert descriptor["constraints"]["fields"][0]["filter"]["const"] == "StreetMusicPermit"
    assert "limit_disclosure" not in descriptor["constraints"]
    many = ProofRequest(CitizenId(), issuers=("did:a", "did:b"), fields=("given_name",))
    fields = many.definition()["input_descriptors"][0]["constraints"]["fields"]
    assert fields[1]["filter"] == {"enum": ["did:a", "did:b"]}
    assert fields[2:] == [{"path": ["$.credentialSubject.given_name"]}]
    # BBS+ selective disclosure: the type is selected by its IRI (no $.type[*] field)
    bbs = ProofRequest(
        CitizenId(),
        fields=("given_name",),
        limit_disclosure=True,
        proof_type=ProofType.BBS_BLS_2020,
    )
    (descriptor,) = bbs.definition()["input_descriptors"]
    assert descriptor["schema"] == [{"uri": "https://vocab.govchain.de/v1#CitizenId"}]
    assert descriptor["constraints"]["limit_disclosure"] == "required"
    assert descriptor["constraints"]["fields"][0] == {"path": ["$.credentialSubject.given_name"]}
    assert all("$.type[*]" not in f["path"] for f in descriptor["constraints"]["fields"])


def _register(chain: CredWorld, did: str) -> None:
    key = resolve_did(did).verification_methods[0].public_key
    chain.world.d.trust.register_did(
        chain.world.office_admin, chain.office, Did(did), key.thumbprint()
    )


def _checks(chain: CredWorld) -> JsonLdVerifier:
    return JsonLdVerifier(status=chain.status, trust=chain.trust, clock=chain.now)


@dataclass(frozen=True)
class Flow:
    outcome: ProofOutcome
    stored: dict[str, object]
    issuer_did: str


def issue_and_prove(
    fleet: AgentFleet,
    chain: CredWorld,
    ctype: CredentialType,
    claims: CredentialClaims,
    context: PolicyContext,
    *,
    trusted: bool = True,
    revoked: bool = False,
) -> Flow:
    """One citizen: issuer -> sub-wallet -> verifier, through the exchange layer."""

    async def body() -> Flow:
        async with (
            fleet.client(AgentRole.ISSUER) as issuer,
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
        ):
            issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
            if trusted:
                _register(chain, issuer_did)
            wallet = await holder.create_subwallet("Max", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as citizen:
                allocation = chain.issuer.status_list
                assert allocation is not None
                reference = allocation.allocate()
                issued = await issue(
                    await connect(issuer, citizen),
                    claims,
                    vct=ctype.vct,
                    issuer_did=issuer_did,
                    status=reference,
                    issued_at=chain.now(),
                )
                assert issued.credential["@context"][0] == VCDM2_CONTEXT
                assert issued.credential["id"] == issued.credential_id
                if revoked:
                    chain.world.d.status.set_status(
                        chain.world.office_admin,
                        chain.list_id,
                        reference.index,
                        CredentialStatus.REVOKED,
                    )
                outcome = await request_proof(
                    await connect(verifier, citizen),
                    ProofRequest(ctype, issuers=(issuer_did,), context=context),
                    verifier=_checks(chain),
                    at=chain.now(),
                )
                (stored,) = await citizen.w3c_credentials(given_id=issued.credential_id)
                return Flow(outcome, stored, issuer_did)

    return run(body())


@pytest.fixture(scope="module")
def permit_flow(fleet: AgentFleet, chain: CredWorld) -> Flow:
    return issue_and_prove(
        fleet,
        chain,
        StreetMusicPermit(),
        _samples.street_music_permit(chain.today()),
        PolicyContext(zone="markt", instrument="Geige"),
    )


def test_vcdm2_permit_issued_presented_verified_by_acapy_and_the_chain(
    permit_flow: Flow,
) -> None:
    flow = permit_flow
    assert flow.stored["issuer_id"] == flow.issuer_did
    assert flow.stored["proof_types"] == ["Ed25519Signature2020"]
    assert flow.outcome.exchange.is_verified, flow.outcome.exchange.error_msg
    result = flow.outcome.result
    assert result.valid, result
    assert result.issuer == flow.issuer_did
    assert result.vct == StreetMusicPermit.vct


def test_vcdm2_permit_revoked_on_chain_is_refused(fleet: AgentFleet, chain: CredWorld) -> None:
    flow = issue_and_prove(
        fleet,
        chain,
        StreetMusicPermit(),
        _samples.street_music_permit(chain.today()),
        PolicyContext(zone="markt", instrument="Geige"),
        revoked=True,
    )
    assert flow.outcome.exchange.is_verified, flow.outcome.exchange.error_msg
    assert not flow.outcome.result.valid
    assert ReasonCode.REVOKED in flow.outcome.result.reasons, flow.outcome.result


def test_vcdm2_permit_from_an_issuer_not_in_the_trust_registry_is_refused(
    fleet: AgentFleet, chain: CredWorld
) -> None:
    flow = issue_and_prove(
        fleet,
        chain,
        StreetMusicPermit(),
        _samples.street_music_permit(chain.today()),
        PolicyContext(zone="markt", instrument="Geige"),
        trusted=False,
    )
    assert flow.outcome.exchange.is_verified, flow.outcome.exchange.error_msg
    assert not flow.outcome.result.valid
    assert ReasonCode.ISSUER_UNKNOWN in flow.outcome.result.reasons, flow.outcome.result


@pytest.mark.parametrize(
    ("ctype", "sample", "context"),
    [
        (LandlordConfirmation(), "landlord", PolicyContext()),
        (DangerousDogPermit(), "dog", PolicyContext(chip_number=_samples.CHIP)),
        (CitizenId(), "citizen", PolicyContext()),
    ],
    ids=["wohnungsgeber", "hund", "buergerid"],
)
def test_the_other_three_types_go_the_same_way(
    fleet: AgentFleet, chain: CredWorld, ctype: CredentialType, sample: str, context: PolicyContext
) -> None:
    today = chain.today()
    claims: CredentialClaims = {
        "landlord": lambda: _samples.landlord_confirmation(today),
        "dog": lambda: _samples.dog_permit(today),
        "citizen": lambda: _samples.citizen_id(today),
    }[sample]()
    flow = issue_and_prove(fleet, chain, ctype, claims, context)
    assert flow.outcome.exchange.is_verified, flow.outcome.exchange.error_msg
    assert flow.outcome.result.valid, flow.outcome.result
    assert flow.outcome.result.vct == ctype.vct


def test_tampered_vcdm2_permit_is_refused_by_acapy(fleet: AgentFleet, permit_flow: Flow) -> None:
    credential = permit_flow.outcome.credential
    assert credential is not None

    async def body() -> tuple[bool, bool]:
        async with fleet.client(AgentRole.VERIFIER) as verifier:
            genuine = await verifier.verify_ld_credential(credential)
            tampered = copy.deepcopy(credential)
            tampered["credentialSubject"]["permit_number"] = "FORGED-0001"
            forged = await verifier.verify_ld_credential(tampered)
            return bool(genuine["verified"]), bool(forged["verified"])

    genuine, forged = run(body())
    assert genuine and not forged
