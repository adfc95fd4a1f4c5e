"""The whole issuance on a real chain (Ganache): the office registers the issuer's DID,
is accredited and creates a status list; a wallet redeems an offer over HTTP and the
credential verifies with govchain.credentials.Verifier; the audit log is anchored."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govchain.chain.backends import ChainBackend, GanacheBackend
from govchain.chain.ganache import GanacheProcess
from govchain.chain.types import LevelOfAssurance, Role, office_id
from govchain.credentials import (
    ChainStatusSource,
    ChainTrustSource,
    PolicyContext,
    VerificationRequest,
    Verifier,
    _samples,
    credential_types,
    present_credential,
)
from govchain.credentials._encoding import b64url_encode
from govchain.credentials.types import LOCAL_TIMEZONE
from govchain.issuer import create_app, issuer_identity
from govchain.issuer._models import AnchorState, CredentialRow, OfferRow
from govchain.issuer.service import IssuerService
from govchain.platform.anchoring.service import AnchoringService
from tests.conftest import World
from tests.issuer.conftest import Clock, Issuing, Server, Wallet, issuer_settings

pytestmark = pytest.mark.ganache

AUDIENCE = "https://pruefung.ordnungsamt.aachen.example"


@pytest.fixture
def backend(ganache: GanacheProcess) -> ChainBackend:
    """The issuer works against a node over JSON-RPC: these tests use Ganache only."""
    return GanacheBackend(ganache.url, timeout=10)


def test_wallet_flow_on_chain_verifies_and_is_audited(world: World, tmp_path: Path) -> None:
    d = world.d
    office = office_id("NRW", "Aachen", "Ordnungsamt")
    d.consortium.decide(
        world.aachen,
        world.cities[1:],
        d.trust.register_office_call(
            office, "NRW", "Aachen", "Ordnungsamt", world.office_admin.address
        ),
    )
    world.grant(Role.TRUST_ADMIN, world.aachen)
    world.grant(Role.STATUS_ISSUER, world.office_admin)
    data = tmp_path / "data"
    identity = issuer_identity(issuer_settings(data))  # creates the office key
    d.trust.register_did(world.office_admin, office, identity.did, identity.thumbprint)
    now = world.gateway.block_timestamp()
    for ctype in credential_types():
        d.trust.accredit(world.aachen, office, ctype.vct, LevelOfAssurance.HIGH, now)
    list_id, _ = d.status.create_list(world.office_admin)
    status = ChainStatusSource(d.status, max_age=0)
    settings = issuer_settings(data, issuer_status_list_uri=status.list_uri(list_id))
    clock = Clock(world.gateway.block_timestamp)
    anchoring = AnchoringService(tmp_path / "anchoring", None)
    app = create_app(settings, clock=clock, anchoring=anchoring)
    today = datetime.fromtimestamp(now, LOCAL_TIMEZONE).date()
    claims = _samples.dog_permit(today).model_dump(mode="json")

    with Server(app, settings.issuer_port) as client:
        issuing = Issuing(client, settings, clock, app, anchoring)
        created = issuing.offer(claims, ctype="dangerous_dog_permit_sd_jwt", tx_code="731902")
        wallet = Wallet(client)
        offer = wallet.resolve(created["offer_uri"])
        meta = client.get("/.well-known/openid-credential-issuer").json()
        assert offer["credential_issuer"] == meta["credential_issuer"]
        token = wallet.token(wallet.code_of(offer), created["tx_code"])
        proof = wallet.proof(wallet.nonce(), meta["credential_issuer"], int(clock()))
        response = wallet.credential_response(
            token,
            {
                "credential_configuration_id": "dangerous_dog_permit_sd_jwt",
                "proofs": {"jwt": [proof]},
            },
        )
        assert response.status_code == 200, response.text
        credential = response.json()["credentials"][0]["credential"]
        service: IssuerService = app.state.issuer
        audit = service.audit_log()

    verifier = Verifier(
        status=status,
        trust=ChainTrustSource(d.trust, max_age=0),
        clock=world.gateway.block_timestamp,
    )
    nonce = "verifier-nonce-1"
    presentation = present_credential(
        credential,
        disclose=[("holder", "family_name"), ("dog", "chip_number"), ("insurance", "valid_until")],
        holder_key=wallet.key,
        nonce=nonce,
        audience=AUDIENCE,
        issued_at=world.gateway.block_timestamp(),
    )
    result = verifier.verify(
        presentation,
        VerificationRequest(
            nonce=nonce, audience=AUDIENCE, context=PolicyContext(chip_number=_samples.CHIP)
        ),
    )
    assert result.valid, result.to_json()

    # what the office keeps: type, status entry, holder thumbprint; the claims are erased
    engine = service.engine
    with Session(engine) as session:
        [row] = session.scalars(select(CredentialRow)).all()
        offer_row = session.scalars(select(OfferRow)).one()
    assert row.holder_thumbprint == b64url_encode(wallet.key.public_key.thumbprint())
    assert row.status_list_uri == settings.issuer_status_list_uri
    assert offer_row.state == "issued" and offer_row.claims is None
    assert "731902" not in json.dumps([r.body for r in audit])
    # audit: offer and issuance, hash-chained, handed to the anchoring service
    assert [r.event for r in audit] == ["offer_created", "credential_issued"]
    assert all(r.anchor_state == AnchorState.SUBMITTED for r in audit)
    assert [r.receipt_id for r in audit] == ["issuer.aachen:0", "issuer.aachen:1"]
    assert anchoring.store.size("issuer.aachen") == 2
    anchoring.close()
