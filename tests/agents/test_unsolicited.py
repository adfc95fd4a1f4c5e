"""The issuer agent signs only what govchain offered: a connected wallet that asks for a
credential of its own making (an ld_proof request or proposal without an offer) gets
nothing, however long it waits."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from govchain.agents import AgentFleet, AgentRole
from govchain.agents.exchange import connect
from govchain.agents.schemas import DidKeyType
from tests.agents.conftest import needs_acapy, run

pytestmark = needs_acapy

WAIT_SECONDS = 3.0


def _forged(issuer_did: str, holder_did: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": issuer_did,
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": holder_did},
    }


def test_unsolicited_requests_and_proposals_are_not_signed(fleet: AgentFleet) -> None:
    async def body() -> tuple[list[str], list[str], list[dict[str, Any]]]:
        async with (
            fleet.client(AgentRole.ISSUER) as issuer,
            fleet.client(AgentRole.HOLDER) as holder,
        ):
            issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
            wallet = await holder.create_subwallet("Mallory", f"mallory-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as mallory:
                connection = await connect(issuer, mallory)
                holder_did = (await mallory.create_did(DidKeyType.ED25519)).did
                headers = {
                    "X-API-KEY": fleet.settings.agents_holder_admin_api_key.get_secret_value(),
                    "Authorization": f"Bearer {wallet.token.get_secret_value()}",
                }
                ld_proof = {
                    "credential": _forged(issuer_did, holder_did),
                    "options": {"proofType": "Ed25519Signature2020"},
                }
                async with httpx.AsyncClient(base_url=holder.base_url, headers=headers) as raw:
                    for path in ("send-request", "send-proposal"):
                        sent = await raw.post(
                            f"/issue-credential-2.0/{path}",
                            json={
                                "connection_id": connection.holder_connection_id,
                                "filter": {"ld_proof": ld_proof},
                                "auto_remove": False,
                            },
                        )
                        assert sent.status_code == 200, sent.text
                await asyncio.sleep(WAIT_SECONDS)
                issuer_side = [
                    r.state
                    for r in await issuer.credential_exchanges()
                    if r.connection_id == connection.agent_connection_id
                ]
                holder_side = [r.state for r in await mallory.credential_exchanges()]
                return issuer_side, holder_side, await mallory.w3c_credentials()

    issuer_side, holder_side, stored = run(body())
    assert sorted(issuer_side) == ["proposal-received", "request-received"], issuer_side
    assert "credential-issued" not in issuer_side and "done" not in holder_side
    assert stored == []
