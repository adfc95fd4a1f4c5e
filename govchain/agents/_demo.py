"""The agents part of ``govchain demo``: DIDComm issuance and proof with real ACA-Py agents.

Starts the three agents on free loopback ports with a throw-away data directory,
registers the issuer agent's did:key for the office in the TrustRegistry, issues a
street-music permit over DIDComm into a citizen's sub-wallet, lets the citizen prove it
to the verifier agent, revokes it on chain (the served W3C status list shows the bit)
and shows that the next proof is refused. Narrated like the rest of the demo.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from govchain.agents.exchange import ProofRequest, connect, issue, request_proof
from govchain.agents.process import AgentFleet
from govchain.agents.schemas import DidKeyType
from govchain.agents.settings import AgentRole, AgentSettings
from govchain.agents.status_list import StatusListPublisher
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.deployment import Deployment
from govchain.chain.gateway import ChainGateway, TxResult
from govchain.chain.types import CredentialStatus, Did, OfficeId
from govchain.credentials import _samples
from govchain.credentials.dids import resolve_did
from govchain.credentials.status import (
    ChainStatusSource,
    StatusReference,
    entry_of,
    read_bitstring_status_list,
)
from govchain.credentials.trust import ChainTrustSource
from govchain.credentials.types import LOCAL_TIMEZONE, PolicyContext, StreetMusicPermit
from govchain.credentials.verification import CheckOutcome

__all__ = ["agents_demo"]

Narrate = Callable[[str, str, list[TxResult]], None]


def agents_demo(
    gateway: ChainGateway,
    deployment: Deployment,
    *,
    office_admin: LocalAccount,
    office_id: OfficeId,
    narrate: Narrate,
) -> dict[str, Any]:
    """Run the DIDComm part on a deployment whose office is accredited for street music."""
    with tempfile.TemporaryDirectory(prefix="govchain-demo-agents-") as folder:
        fleet = AgentFleet(AgentSettings.ephemeral(Path(folder)))
        fleet.start()
        try:
            narrate(
                "ACA-Py-Agenten gestartet",
                "Aussteller, Bürger-Wallets (mandantenfähig) und Prüfer laufen auf "
                + ", ".join(fleet.settings.admin_url(r) for r in AgentRole)
                + " (askar auf SQLite).",
                [],
            )
            return asyncio.run(_flow(fleet, gateway, deployment, office_admin, office_id, narrate))
        finally:
            fleet.stop()


async def _flow(
    fleet: AgentFleet,
    gateway: ChainGateway,
    d: Deployment,
    office_admin: LocalAccount,
    office: OfficeId,
    narrate: Narrate,
) -> dict[str, Any]:
    now = gateway.block_timestamp
    status = ChainStatusSource(d.status, max_age=0)
    checks = JsonLdVerifier(status=status, trust=ChainTrustSource(d.trust, max_age=0), clock=now)
    async with (
        fleet.client(AgentRole.ISSUER) as issuer,
        fleet.client(AgentRole.HOLDER) as holder,
        fleet.client(AgentRole.VERIFIER) as verifier,
    ):
        issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
        key = resolve_did(issuer_did).verification_methods[0].public_key
        did_tx = d.trust.register_did(office_admin, office, Did(issuer_did), key.thumbprint())
        list_id, list_tx = d.status.create_list(office_admin)
        uri = status.list_uri(list_id)
        reference = StatusReference(uri, secrets.randbelow(d.status.status_list(list_id).size))
        narrate(
            "DID des Aussteller-Agenten in der TrustRegistry",
            f"{issuer_did[:32]}… gehört jetzt zum Ordnungsamt Aachen; Statusliste {list_id} "
            "für die DIDComm-Nachweise angelegt.",
            [did_tx, list_tx],
        )
        wallet = await holder.create_subwallet("Erika Mustermann", f"citizen-{uuid.uuid4()}")
        async with holder.for_subwallet(wallet) as citizen:
            to_citizen = await connect(issuer, citizen, alias="Erika Mustermann")
            today = datetime.fromtimestamp(now(), LOCAL_TIMEZONE).date()
            issued = await issue(
                to_citizen,
                _samples.street_music_permit(today),
                vct=StreetMusicPermit.vct,
                issuer_did=issuer_did,
                status=reference,
                issued_at=now(),
            )
            narrate(
                "Straßenmusik-Erlaubnis über DIDComm ausgestellt",
                f"W3C-VC 2.0 (JSON-LD, Ed25519Signature2020) in Erikas Teil-Wallet "
                f"{wallet.wallet_id[:8]}…; Statuseintrag: Liste {list_id}, Index "
                f"{reference.index} auf der Chain (BitstringStatusListEntry).",
                [],
            )
            request = ProofRequest(
                StreetMusicPermit(),
                issuers=(issuer_did,),
                context=PolicyContext(zone="markt", instrument="Geige"),
            )
            to_verifier = await connect(verifier, citizen, alias="Erika Mustermann")
            first = await request_proof(to_verifier, request, verifier=checks, at=now())
            narrate(
                "Vorgezeigt beim Prüf-Agenten" if first.result.valid else "Prüfung fehlgeschlagen",
                f"present-proof 2.0 (DIF PE): ACA-Py prüft die Signaturen, govchain Status, "
                f"Vertrauen und Regeln auf der Chain: "
                f"{'gültig' if first.result.valid else first.result.reasons}.",
                [],
            )
            revoke_tx = d.status.set_status(
                office_admin, list_id, reference.index, CredentialStatus.REVOKED
            )
            publisher = StatusListPublisher(
                status,
                lambda: fleet.client(AgentRole.ISSUER),
                issuer_did,
                owner=office_admin.address,
                clock=now,
            )
            listed = await publisher.credential(uri)
            bit = entry_of(read_bitstring_status_list(listed), reference.index)
            narrate(
                "Erlaubnis auf der Chain widerrufen",
                f"Index {reference.index} steht jetzt auf widerrufen; die vom Aussteller "
                f"signierte W3C-Statusliste zeigt {bit.name}.",
                [revoke_tx],
            )
            second = await request_proof(to_verifier, request, verifier=checks, at=now())
            failed = [c for c in second.result.checks if c.outcome is not CheckOutcome.PASSED]
            narrate(
                "Abgelehnt: erneuter Nachweis über DIDComm",
                "; ".join(c.message_de for c in failed) or "abgelehnt",
                [],
            )
    return {
        "issuer_did": issuer_did,
        "wallet_id": wallet.wallet_id,
        "credential_id": issued.credential_id,
        "status_list_credential": reference.bitstring_entry()["statusListCredential"],
        "status_index": reference.index,
        "first_proof": "valid" if first.result.valid else "invalid",
        "listed_after_revocation": bit.name,
        "second_proof": "valid" if second.result.valid else "invalid",
        "second_proof_reasons": [r.value for r in second.result.reasons],
    }
