"""govchain's credentials as VCDM 2.0 JSON-LD over DIDComm with a status entry on a real
(embedded) chain; contexts come from govchain's loopback server via the ACA-Py plugin."""

from __future__ import annotations

import json
import uuid

import pytest

from govchain.agents import AgentFleet, AgentRole, DidKeyType
from govchain.agents.jsonld import (
    VCDM2_CONTEXT,
    context_document,
    context_url,
    shipped_context,
    to_jsonld_credential,
)
from govchain.chain.backends import EmbeddedBackend
from govchain.chain.gateway import ChainGateway
from govchain.credentials import credential_types
from govchain.credentials._samples import street_music_permit
from govchain.credentials.types import StreetMusicPermit
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
    """Issue -> store with our served context and the on-chain status entry.
    (Presentation with DIF PE is not yet green: see docs/agents.md.)"""

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
