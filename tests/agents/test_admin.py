"""The typed admin client against real agents: connections, DIDs, sub-wallets, errors,
and a W3C credential issued over DIDComm into a citizen's sub-wallet and proved.

Tests that use the `fleet` fixture skip with a clear reason when ACA-Py is missing."""

from __future__ import annotations

import uuid

import pytest
from pydantic import SecretStr

from govchain.agents import (
    AgentAdminClient,
    AgentAuthError,
    AgentFleet,
    AgentRole,
    AgentUnavailableError,
    ConnectionRecord,
    DidKeyType,
)
from tests.agents.conftest import Client, run
from tests.conftest import free_port

DONE = frozenset({"done", "abandoned"})


async def connect(inviter: AgentAdminClient, invitee: AgentAdminClient) -> ConnectionRecord:
    """An out-of-band DID exchange; returns the inviter's side once both are active."""
    invitation = await inviter.create_invitation(alias="test")
    oob = await invitee.receive_invitation(invitation.invitation)
    assert oob.connection_id is not None
    await invitee.wait_for_connection(oob.connection_id)
    (mine,) = await inviter.connections(invitation_msg_id=invitation.invi_msg_id)
    assert mine.invitation_msg_id == invitation.invi_msg_id
    return await inviter.wait_for_connection(mine.connection_id)


def test_out_of_band_connection_between_issuer_and_a_holder_subwallet(
    fleet: AgentFleet, client: Client
) -> None:
    async def body() -> None:
        async with client(AgentRole.ISSUER) as issuer, client(AgentRole.HOLDER) as holder:
            wallet = await holder.create_subwallet("Erika Mustermann", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as citizen:
                connection = await connect(issuer, citizen)
                assert connection.is_active
                # the filter finds one invitation's connection, and nothing for another id
                assert await issuer.connections(invitation_msg_id=str(uuid.uuid4())) == []
                assert len(await issuer.connections()) >= 1
                assert connection.their_label == "Erika Mustermann"
                (theirs,) = await citizen.connections()
                assert theirs.is_active and theirs.their_label == "govchain-issuer"
            # another citizen's sub-wallet does not see it
            other = await holder.create_subwallet("Someone Else", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(other) as stranger:
                assert await stranger.connections() == []
            fresh = await holder.subwallet_token(wallet.wallet_id)
            async with holder.for_subwallet(fresh) as again:
                assert [c.connection_id for c in await again.connections()] == [
                    theirs.connection_id
                ]

    run(body())
    fleet.webhooks.wait_for(
        lambda e: (
            e.agent == "issuer"
            and e.topic == "connections"
            and e.payload["state"] in {"active", "completed"}
        ),
        timeout=10,
    )


def test_did_key_ed25519_and_bls12381g2(client: Client) -> None:
    async def body() -> None:
        async with client(AgentRole.ISSUER) as issuer:
            ed = await issuer.create_did(DidKeyType.ED25519)
            bls = await issuer.create_did(DidKeyType.BLS12381G2)
        assert ed.did.startswith("did:key:z6Mk") and ed.key_type == "ed25519"
        assert bls.did.startswith("did:key:zUC7") and bls.key_type == "bls12381g2"

    run(body())


def test_agent_that_is_down_gives_a_clear_error() -> None:
    port = free_port()

    async def body() -> None:
        async with AgentAdminClient(f"http://127.0.0.1:{port}", SecretStr("k")) as agent:
            await agent.status()

    with pytest.raises(AgentUnavailableError, match=f"127.0.0.1:{port} cannot be reached"):
        run(body())


def test_wrong_admin_api_key_is_refused(fleet: AgentFleet) -> None:
    async def body() -> None:
        url = fleet.settings.admin_url(AgentRole.VERIFIER)
        async with AgentAdminClient(url, SecretStr("not-the-key")) as agent:
            await agent.create_did(DidKeyType.ED25519)

    with pytest.raises(AgentAuthError) as info:
        run(body())
    assert info.value.status_code == 401


def test_w3c_credential_issued_into_a_subwallet_and_proved_to_the_verifier(
    client: Client,
) -> None:
    async def body() -> None:
        async with (
            client(AgentRole.ISSUER) as issuer,
            client(AgentRole.HOLDER) as holder,
            client(AgentRole.VERIFIER) as verifier,
        ):
            wallet = await holder.create_subwallet("Max Mustermann", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as citizen:
                to_citizen = await connect(issuer, citizen)
                issuer_did = await issuer.create_did(DidKeyType.ED25519)
                citizen_did = await citizen.create_did(DidKeyType.ED25519)
                # ACA-Py has no internet: the base contexts come from its cache, our terms
                # are defined inline (the four govchain contexts are still to come).
                credential = {
                    "@context": [
                        "https://www.w3.org/2018/credentials/v1",
                        {
                            "givenName": "https://schema.org/givenName",
                            "GovchainTestCredential": "urn:govchain:vocab#GovchainTestCredential",
                        },
                    ],
                    "type": ["VerifiableCredential", "GovchainTestCredential"],
                    "issuer": issuer_did.did,
                    "issuanceDate": "2026-01-01T00:00:00Z",
                    "credentialSubject": {"id": citizen_did.did, "givenName": "Max"},
                }
                offer = await issuer.send_ld_credential_offer(to_citizen.connection_id, credential)
                issued = await issuer.wait_for_credential_exchange(offer.cred_ex_id, DONE)
                assert issued.state == "done", issued.error_msg
                (stored,) = await citizen.w3c_credentials()
                assert stored["issuer_id"] == issuer_did.did
                assert stored["proof_types"] == ["Ed25519Signature2020"]

                to_verifier = await connect(verifier, citizen)
                definition = {
                    "id": str(uuid.uuid4()),
                    "format": {"ldp_vp": {"proof_type": ["Ed25519Signature2020"]}},
                    "input_descriptors": [
                        {
                            "id": "given-name",
                            "schema": [
                                {"uri": "https://www.w3.org/2018/credentials#VerifiableCredential"}
                            ],
                            "constraints": {
                                "fields": [{"path": ["$.credentialSubject.givenName"]}]
                            },
                        }
                    ],
                }
                request = await verifier.send_presentation_request(
                    to_verifier.connection_id, definition, challenge=str(uuid.uuid4())
                )
                result = await verifier.wait_for_presentation_exchange(request.pres_ex_id, DONE)
                assert result.is_verified, result.error_msg

    run(body())
