"""govchain's credentials as VCDM 2.0 JSON-LD over DIDComm with a status entry on a real
(embedded) chain; contexts come from govchain's loopback server via the ACA-Py plugin."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from govchain.agents import AgentFleet, AgentRole, DidKeyType, PresentationExchange
from govchain.agents.jsonld import (
    VCDM2_CONTEXT,
    context_document,
    context_url,
    shipped_context,
    to_jsonld_credential,
)
from govchain.agents.verification import JsonLdVerifier, presented_credentials
from govchain.chain.backends import EmbeddedBackend
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import CredentialStatus, Did
from govchain.credentials import credential_types
from govchain.credentials._samples import street_music_permit
from govchain.credentials.dids import resolve_did
from govchain.credentials.types import PolicyContext, StreetMusicPermit
from govchain.credentials.verification import (
    ReasonCode,
    VerificationRequest,
    VerificationResult,
)
from tests.agents.conftest import Client, run
from tests.agents.test_admin import DONE, connect
from tests.credentials.conftest import CredWorld, build_cred_world


def test_shipped_contexts_match_the_models() -> None:
    for ctype in credential_types():
        shipped = shipped_context(context_url(ctype))
        assert shipped is not None
        assert json.loads(shipped) == context_document(ctype)


@pytest.fixture(scope="module")
def chain() -> CredWorld:
    return build_cred_world(ChainGateway(EmbeddedBackend()))


def test_vcdm2_credential_issued_into_a_subwallet(
    fleet: AgentFleet, client: Client, chain: CredWorld
) -> None:
    """Issue -> store with our served context and the on-chain status entry."""

    async def body() -> None:
        async with client(AgentRole.ISSUER) as issuer, client(AgentRole.HOLDER) as holder:
            issuer_did = await issuer.create_did(DidKeyType.ED25519)
            wallet = await holder.create_subwallet("Max", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as citizen:
                to_citizen = await connect(issuer, citizen)
                citizen_did = await citizen.create_did(DidKeyType.ED25519)
                allocation = chain.issuer.status_list
                assert allocation is not None
                reference = allocation.allocate()
                credential = to_jsonld_credential(
                    street_music_permit(chain.today()),
                    vct=StreetMusicPermit.vct,
                    issuer=issuer_did.did,
                    holder=citizen_did.did,
                    issued_at=chain.now(),
                    status=reference,
                )
                assert credential["@context"][0] == VCDM2_CONTEXT
                offer = await issuer.send_ld_credential_offer(to_citizen.connection_id, credential)
                issued = await issuer.wait_for_credential_exchange(offer.cred_ex_id, DONE)
                assert issued.state == "done", issued.error_msg
                (stored,) = await citizen.w3c_credentials()
                assert stored["issuer_id"] == issuer_did.did
                assert stored["proof_types"] == ["Ed25519Signature2020"]

    run(body())


# --- presentation (present-proof 2.0, DIF PE) + govchain's chain checks ---------------------


def permit_definition(issuer_did: str) -> dict[str, Any]:
    """Ask for a StreetMusicPermit from one issuer. ACA-Py's DIF PE matches ``schema``
    URIs against the *expanded* types of the credential; a VCDM 2.0 credential's base type
    expands to ``https://www.w3.org/2018/credentials#VerifiableCredential`` (same IRI as
    v1), so that is the schema, and the govchain type is a field filter on ``$.type[*]``."""
    return {
        "id": str(uuid.uuid4()),
        "format": {"ldp_vp": {"proof_type": ["Ed25519Signature2020"]}},
        "input_descriptors": [
            {
                "id": "street-music-permit",
                "schema": [{"uri": "https://www.w3.org/2018/credentials#VerifiableCredential"}],
                "constraints": {
                    "fields": [
                        # ACA-Py 1.7 has no array filters ("contains"): match each entry
                        {
                            "path": ["$.type[*]"],
                            "filter": {"type": "string", "const": "StreetMusicPermit"},
                        },
                        {"path": ["$.issuer"], "filter": {"const": issuer_did}},
                        {"path": ["$.credentialSubject.permit_number"]},
                    ]
                },
            }
        ],
    }


@dataclass(frozen=True)
class Presented:
    exchange: PresentationExchange
    stored: dict[str, Any]
    issuer_did: str
    status_index: int


def issue_and_present(
    client: Client, chain: CredWorld, *, trusted: bool = True, revoked: bool = False
) -> Presented:
    async def body() -> Presented:
        async with (
            client(AgentRole.ISSUER) as issuer,
            client(AgentRole.HOLDER) as holder,
            client(AgentRole.VERIFIER) as verifier,
        ):
            issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
            if trusted:
                key = resolve_did(issuer_did).verification_methods[0].public_key
                chain.world.d.trust.register_did(
                    chain.world.office_admin, chain.office, Did(issuer_did), key.thumbprint()
                )
            wallet = await holder.create_subwallet("Max", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as citizen:
                to_citizen = await connect(issuer, citizen)
                citizen_did = await citizen.create_did(DidKeyType.ED25519)
                allocation = chain.issuer.status_list
                assert allocation is not None
                reference = allocation.allocate()
                credential = to_jsonld_credential(
                    street_music_permit(chain.today()),
                    vct=StreetMusicPermit.vct,
                    issuer=issuer_did,
                    holder=citizen_did.did,
                    issued_at=chain.now(),
                    status=reference,
                )
                offer = await issuer.send_ld_credential_offer(to_citizen.connection_id, credential)
                issued = await issuer.wait_for_credential_exchange(offer.cred_ex_id, DONE)
                assert issued.state == "done", issued.error_msg
                (stored,) = await citizen.w3c_credentials()
                if revoked:
                    chain.world.d.status.set_status(
                        chain.world.office_admin,
                        chain.list_id,
                        reference.index,
                        CredentialStatus.REVOKED,
                    )
                to_verifier = await connect(verifier, citizen)
                request = await verifier.send_presentation_request(
                    to_verifier.connection_id,
                    permit_definition(issuer_did),
                    challenge=str(uuid.uuid4()),
                )
                result = await verifier.wait_for_presentation_exchange(request.pres_ex_id, DONE)
                return Presented(result, stored, issuer_did, reference.index)

    return run(body())


def chain_checks(chain: CredWorld, exchange: PresentationExchange) -> VerificationResult:
    presentation, (credential,) = presented_credentials(exchange.model_dump())
    verifier = JsonLdVerifier(status=chain.status, trust=chain.trust, clock=chain.now)
    request = VerificationRequest(
        nonce="unused-acapy-checked-the-challenge",
        audience="govchain-verifier",
        at=chain.now(),
        context=PolicyContext(),
    )
    return verifier.verify_presented(exchange.is_verified, presentation, credential, request)


def test_vcdm2_permit_presented_verified_by_acapy_and_the_chain(
    fleet: AgentFleet, client: Client, chain: CredWorld
) -> None:
    presented = issue_and_present(client, chain)
    assert presented.exchange.is_verified, presented.exchange.error_msg
    result = chain_checks(chain, presented.exchange)
    assert result.valid, result
    assert result.issuer == presented.issuer_did
    assert result.vct == StreetMusicPermit.vct


def test_vcdm2_permit_revoked_on_chain_is_refused(
    fleet: AgentFleet, client: Client, chain: CredWorld
) -> None:
    presented = issue_and_present(client, chain, revoked=True)
    assert presented.exchange.is_verified, presented.exchange.error_msg
    result = chain_checks(chain, presented.exchange)
    assert not result.valid
    assert ReasonCode.REVOKED in result.reasons, result


def test_vcdm2_permit_from_an_issuer_not_in_the_trust_registry_is_refused(
    fleet: AgentFleet, client: Client, chain: CredWorld
) -> None:
    presented = issue_and_present(client, chain, trusted=False)
    assert presented.exchange.is_verified, presented.exchange.error_msg
    result = chain_checks(chain, presented.exchange)
    assert not result.valid
    assert ReasonCode.ISSUER_UNKNOWN in result.reasons, result


def test_tampered_vcdm2_permit_is_refused_by_acapy(
    fleet: AgentFleet, client: Client, chain: CredWorld
) -> None:
    presented = issue_and_present(client, chain)
    assert presented.exchange.is_verified, presented.exchange.error_msg
    _, (credential,) = presented_credentials(presented.exchange.model_dump())

    async def body() -> tuple[bool, bool]:
        async with client(AgentRole.VERIFIER) as verifier:
            genuine = await verifier.verify_ld_credential(credential)
            tampered = copy.deepcopy(credential)
            tampered["credentialSubject"]["permit_number"] = "FORGED-0001"
            forged = await verifier.verify_ld_credential(tampered)
            return bool(genuine["verified"]), bool(forged["verified"])

    genuine, forged = run(body())
    assert genuine and not forged
