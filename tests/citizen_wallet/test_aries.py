"""The wallet's Aries path with real ACA-Py agents: the issuer agent invites the wallet,
the wallet (through its pages) connects, receives a JSON-LD dog permit after consent,
the verifier agent asks for a proof, the wallet shows it and answers after consent
(or refuses: nothing presented), and the log and the card's history show it.

The holder agent runs as govchain starts it, with ``--auto-respond-presentation-request``;
the citizen's sub-wallet switches that off for itself (a per-wallet flag added by
govchain's ACA-Py plugin), so the wallet is asked first.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import segno
from fastapi.testclient import TestClient
from pydantic import SecretStr

from govchain.agents import (
    AgentAdminClient,
    AgentFleet,
    AgentRole,
    Connection,
    DidKeyType,
    ProofOutcome,
    ProofRequest,
    request_proof,
)
from govchain.agents.exchange import CREDENTIAL_TERMINAL_STATES
from govchain.agents.jsonld import to_jsonld_credential
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.backends import EmbeddedBackend
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import CredentialStatus, Did
from govchain.citizen_wallet import CitizenWallet, LogOutcome, WalletSettings, create_app
from govchain.citizen_wallet._aries import HolderAgent, parse_invitation
from govchain.citizen_wallet.errors import InvitationError
from govchain.credentials import _samples
from govchain.credentials.dids import resolve_did
from govchain.credentials.types import DangerousDogPermit, PolicyContext
from govchain.credentials.verification import ReasonCode
from tests.agents.conftest import ACAPY, agent_settings
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld, build_cred_world

OFFICE = "Ordnungsamt Musterstadt"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="(/wallet/[a-z]+/[^"]+)"')


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentFleet]:
    if not ACAPY.is_file():
        pytest.skip(f"ACA-Py is not installed ({ACAPY} missing); run scripts/bootstrap-agents.sh")
    # the holder as govchain starts it: it answers presentation requests on its own,
    # except for sub-wallets (like a citizen's wallet) that switched that off
    agents = AgentFleet(agent_settings(tmp_path_factory.mktemp("aries-agents")))
    agents.start()
    yield agents
    agents.stop()


@pytest.fixture(scope="module")
def chain() -> CredWorld:
    return build_cred_world(ChainGateway(EmbeddedBackend()))


def run[T](coro: object) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


@dataclass
class Phone:
    """The wallet's pages through a client that keeps cookies and posts the page's token."""

    http: TestClient
    wallet: CitizenWallet

    def submit(self, page: httpx.Response, url: str, /, **fields: str) -> httpx.Response:
        match = _CSRF.search(page.text)
        assert match, page.text
        return self.http.post(url, data={"csrf_token": match.group(1), **fields})

    def form_action(self, page: httpx.Response, kind: str) -> str:
        actions = [a for a in _ACTION.findall(page.text) if f"/wallet/anfragen/{kind}/" in a]
        assert len(actions) == 1, page.text
        return actions[0]


@pytest.fixture(scope="module")
def phone(
    fleet: AgentFleet, chain: CredWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Phone]:
    folder = tmp_path_factory.mktemp("aries-wallet")
    s = fleet.settings
    wallet = new_wallet(
        folder / "w",
        status=chain.status,
        trust=chain.trust,
        holder_agent=HolderAgent(s.admin_url(AgentRole.HOLDER), s.admin_api_key(AgentRole.HOLDER)),
        known_agents={f"http://{s.agents_host}:{s.agents_issuer_inbound_port}": OFFICE},
    )
    settings = WalletSettings(data_dir=folder / "data", wallet_port=free_port())
    with TestClient(create_app(settings, wallet=wallet), follow_redirects=False) as http:
        phone = Phone(http, wallet)
        form = http.get("/wallet/einrichten")
        assert phone.submit(form, "/wallet/einrichten", pin=PIN, pin2=PIN).status_code == 303
        yield phone


def _connect(
    phone: Phone, invitation_url: str, *, acknowledge: bool, scan: bool = False
) -> httpx.Response:
    page = phone.http.get("/wallet/verbinden")
    if scan:  # a photo of the invitation's QR code, through the camera input
        photo = io.BytesIO()
        segno.make(invitation_url, error="m").save(photo, kind="png", scale=6)
        token = _CSRF.search(page.text)
        assert token
        preview = phone.http.post(
            "/wallet/verbinden/scannen",
            data={"csrf_token": token.group(1)},
            files={"foto": ("einladung.png", photo.getvalue(), "image/png")},
        )
    else:
        preview = phone.submit(page, "/wallet/verbinden", einladung=invitation_url)
    assert preview.status_code == 200, preview.text
    (action,) = re.findall(r'action="(/wallet/verbinden/[^"/]+)"', preview.text)
    fields = {"action": "verbinden"} | ({"acknowledge": "ja"} if acknowledge else {})
    done = phone.submit(preview, action, **fields)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/wallet/anfragen"
    return preview


async def _agent_side(client: AgentAdminClient, invi_msg_id: str) -> str:
    """The inviting agent's connection id, once active."""
    for _ in range(150):
        mine = [c for c in await client.connections() if c.invitation_msg_id == invi_msg_id]
        if mine and mine[0].is_active:
            return mine[0].connection_id
        await asyncio.sleep(0.1)
    raise AssertionError("connection not active")


@dataclass(frozen=True)
class Permit:
    issuer_did: str
    offer_cred_ex_id: str
    status_index: int


@pytest.fixture(scope="module")
def permit(fleet: AgentFleet, chain: CredWorld, phone: Phone) -> Permit:
    """The issuer agent invites the wallet and offers a dog permit (subject left open:
    the wallet binds its own did:key); the citizen accepts on the "Anfragen" page."""

    async def invite() -> tuple[str, str, str]:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            did = (await issuer.create_did(DidKeyType.ED25519)).did
            invitation = await issuer.create_invitation()
            return did, invitation.invitation_url, invitation.invi_msg_id

    issuer_did, url, invi_msg_id = run(invite())
    key = resolve_did(issuer_did).verification_methods[0].public_key
    chain.world.d.trust.register_did(
        chain.world.office_admin, chain.office, Did(issuer_did), key.thumbprint()
    )
    preview = _connect(phone, url, acknowledge=False)
    assert OFFICE in preview.text and "Bekannte Stelle" in preview.text
    assert "Unbekannte Gegenstelle" not in preview.text

    allocation = chain.issuer.status_list
    assert allocation is not None
    reference = allocation.allocate()
    credential = to_jsonld_credential(
        DangerousDogPermit().parse(_samples.dog_permit(chain.today())),
        vct=DangerousDogPermit.vct,
        issuer=issuer_did,
        holder="did:key:placeholder",
        issued_at=chain.now(),
        status=reference,
    )
    del credential["credentialSubject"]["id"]  # late binding: the wallet names its DID
    credential = {"id": f"urn:uuid:{uuid.uuid4()}", **credential}

    async def offer() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            connection_id = await _agent_side(issuer, invi_msg_id)
            sent = await issuer.send_ld_credential_offer(connection_id, credential)
            return sent.cred_ex_id

    cred_ex_id = run(offer())
    inbox = _wait_for(phone, "angebot")
    assert "Erlaubnis für gefährliche Hunde" in inbox.text or "Hund" in inbox.text
    assert _samples.CHIP in inbox.text and OFFICE in inbox.text
    assert not phone.wallet.credentials()  # nothing stored before consent
    accepted = phone.submit(inbox, phone.form_action(inbox, "angebot"), action="annehmen")
    assert accepted.status_code == 303, accepted.text

    async def issued() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            done = await issuer.wait_for_credential_exchange(cred_ex_id, CREDENTIAL_TERMINAL_STATES)
            return done.state

    assert run(issued()) == "done"
    return Permit(issuer_did, cred_ex_id, reference.index)


def _wait_for(phone: Phone, kind: str) -> httpx.Response:
    """Poll the "Anfragen" page until an offer or proof request shows up."""
    deadline = time.monotonic() + 20
    while True:
        page = phone.http.get("/wallet/anfragen")
        assert page.status_code == 200, page.text
        if f"/wallet/anfragen/{kind}/" in page.text:
            return page
        assert time.monotonic() < deadline, page.text
        time.sleep(0.1)


def _prove(
    fleet: AgentFleet,
    chain: CredWorld,
    phone: Phone,
    permit: Permit,
    *,
    consent: bool,
    scan: bool = False,
) -> tuple[ProofOutcome, httpx.Response, httpx.Response]:
    """The verifier agent connects and asks for the permit; the citizen answers on the
    "Anfragen" page meanwhile. Returns the verifier's outcome and the wallet's page."""

    async def body() -> tuple[ProofOutcome, httpx.Response, httpx.Response]:
        s = fleet.settings
        async with (
            fleet.client(AgentRole.VERIFIER) as verifier,
            fleet.client(AgentRole.HOLDER) as holder,
        ):
            invitation = await verifier.create_invitation()
            await asyncio.to_thread(
                _connect, phone, invitation.invitation_url, acknowledge=True, scan=scan
            )
            verifier_connection = await _agent_side(verifier, invitation.invi_msg_id)
            wallet_id = phone.wallet.didcomm.wallet_id
            assert wallet_id is not None
            async with holder.for_subwallet(await holder.subwallet_token(wallet_id)) as citizen:
                mine = [
                    c for c in await citizen.connections() if c.their_label == "govchain-verifier"
                ]
                connection = Connection(
                    verifier, citizen, verifier_connection, mine[-1].connection_id
                )
                asked = asyncio.create_task(
                    request_proof(
                        connection,
                        ProofRequest(
                            DangerousDogPermit(),
                            issuers=(permit.issuer_did,),
                            context=PolicyContext(chip_number=_samples.CHIP),
                        ),
                        verifier=JsonLdVerifier(
                            status=chain.status, trust=chain.trust, clock=chain.now
                        ),
                        at=chain.now(),
                    )
                )
                page = await asyncio.to_thread(_wait_for, phone, "nachweis")
                action = phone.form_action(page, "nachweis")
                fields = {"action": "zustimmen" if consent else "ablehnen", "acknowledge": "ja"}
                answer = await asyncio.to_thread(phone.submit, page, action, **fields)
                assert s.agents_host  # the settings were used above
                return await asked, page, answer

    return run(body())


def test_permit_arrives_as_a_card_with_live_status(phone: Phone, permit: Permit) -> None:
    (card,) = phone.wallet.credentials()
    assert card.via_didcomm and card.vct == DangerousDogPermit.vct
    assert card.issuer_did == permit.issuer_did and card.issuer_name_de == OFFICE
    assert card.status is not None and card.status.index == permit.status_index
    cards = phone.http.get("/wallet/")
    assert "DIDComm" in cards.text and "gültig" in cards.text
    page = phone.http.get(f"/wallet/nachweis/{card.id}")
    assert "Bella" in page.text and "erhalten von" in page.text


def test_refused_proof_request_presents_nothing(
    fleet: AgentFleet, chain: CredWorld, phone: Phone, permit: Permit
) -> None:
    outcome, page, answer = _prove(fleet, chain, phone, permit, consent=False, scan=True)
    assert "Unbekannte Gegenstelle" in page.text  # the verifier is not on the list
    # the stock holder agent answers on its own; this sub-wallet waited for the citizen
    assert "ohne Rückfrage" not in page.text
    assert _samples.CHIP in page.text and "(nicht angefragt)" in page.text
    assert answer.status_code == 200 and "nichts wurde gezeigt" in answer.text
    assert outcome.exchange.state == "abandoned"
    assert outcome.presentation is None and not outcome.result.valid
    entry = phone.wallet.log()[0]
    assert entry.outcome is LogOutcome.REFUSED and entry.channel == "didcomm"


def test_consented_proof_is_valid_and_logged(
    fleet: AgentFleet, chain: CredWorld, phone: Phone, permit: Permit
) -> None:
    outcome, page, answer = _prove(fleet, chain, phone, permit, consent=True)
    assert "Zustimmen und zeigen" in page.text
    assert answer.status_code == 200 and "Vorgezeigt bei" in answer.text
    assert outcome.exchange.is_verified, outcome.exchange.error_msg
    assert outcome.result.valid, outcome.result
    entry = phone.wallet.log()[0]
    assert entry.outcome is LogOutcome.SHARED and entry.vct == DangerousDogPermit.vct
    assert any("Chip" in c or "Transponder" in c for c in entry.claims_de), entry.claims_de
    log = phone.http.get("/wallet/protokoll")
    assert "DIDComm" in log.text and "geteilt" in log.text
    (card,) = phone.wallet.credentials()
    history = phone.http.get(f"/wallet/nachweis/{card.id}")
    assert "geteilt" in history.text


def test_revoked_on_chain_shows_on_the_card_and_the_proof_is_refused(
    fleet: AgentFleet, chain: CredWorld, phone: Phone, permit: Permit
) -> None:
    chain.world.d.status.set_status(
        chain.world.office_admin, chain.list_id, permit.status_index, CredentialStatus.REVOKED
    )
    (card,) = phone.wallet.credentials()
    assert phone.wallet.live_status(card.id).value == "revoked"
    assert "widerrufen" in phone.http.get("/wallet/").text
    outcome, _, _ = _prove(fleet, chain, phone, permit, consent=True)
    assert outcome.exchange.is_verified and not outcome.result.valid
    assert ReasonCode.REVOKED in outcome.result.reasons


# --- without agents ---------------------------------------------------------------------


def test_invalid_invitations_are_refused_clearly() -> None:
    for text in ["", "hallo", "https://example.org/?oob=%%%", "didcomm://invite?oob=e30"]:
        with pytest.raises(InvitationError) as err:
            parse_invitation(text)
        assert "Verbindungseinladung" in err.value.message_de
    legacy = "eyJAdHlwZSI6Imh0dHBzOi8vZGlkY29tbS5vcmcvY29ubmVjdGlvbnMvMS4wL2ludml0YXRpb24ifQ"
    with pytest.raises(InvitationError, match="legacy"):
        parse_invitation(f"https://agent.example/?c_i={legacy}")


def test_agent_down_is_one_sentence_and_nothing_is_stored(tmp_path: Path) -> None:
    port = free_port()
    wallet = new_wallet(
        tmp_path / "w",
        holder_agent=HolderAgent(f"http://127.0.0.1:{port}", SecretStr("k"), timeout=2),
    )
    wallet.create(PIN)
    invitation = (
        '{"@type": "https://didcomm.org/out-of-band/1.1/invitation", "@id": "1", '
        '"label": "Fremd", "handshake_protocols": ["https://didcomm.org/didexchange/1.1"], '
        '"services": [{"id": "#inline", "type": "did-communication", '
        '"recipientKeys": ["did:key:z6Mk"], "serviceEndpoint": "http://127.0.0.1:9"}]}'
    )
    preview = wallet.didcomm.preview_invitation(invitation)
    assert preview.name_de == "„Fremd“ (nicht geprüft)" and preview.warnings
    from govchain.citizen_wallet.errors import (  # noqa: PLC0415
        HolderAgentDownError,
        WarningsNotAcknowledgedError,
    )

    with pytest.raises(WarningsNotAcknowledgedError):
        wallet.didcomm.connect(preview.id)
    with pytest.raises(HolderAgentDownError) as err:
        wallet.didcomm.connect(preview.id, acknowledge_warnings=True)
    assert "nicht erreichbar" in err.value.message_de and str(port) in err.value.message
    assert wallet.didcomm.wallet_id is None and not wallet.didcomm.connections()
    wallet.lock()
    wallet.unlock(PIN)
    assert wallet.didcomm.wallet_id is None


def test_cli_connects_lists_and_refuses_an_offer(
    fleet: AgentFleet, chain: CredWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from govchain.cli import app  # noqa: PLC0415

    s = fleet.settings
    for name, value in {
        "GOVCHAIN_DATA_DIR": str(tmp_path / "data"),
        "GOVCHAIN_WALLET_SCRYPT_N": str(2**14),
        "GOVCHAIN_WALLET_USE_CHAIN": "false",
        "GOVCHAIN_WALLET_PIN": PIN,
        "GOVCHAIN_AGENTS_HOLDER_ADMIN_PORT": str(s.agents_holder_admin_port),
        "GOVCHAIN_AGENTS_HOLDER_ADMIN_API_KEY": s.agents_holder_admin_api_key.get_secret_value(),
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    assert runner.invoke(app, ["wallet", "create"]).exit_code == 0

    async def invite() -> tuple[str, str]:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            invitation = await issuer.create_invitation()
            return invitation.invitation_url, invitation.invi_msg_id

    url, invi_msg_id = run(invite())
    unasked = runner.invoke(app, ["wallet", "connect", url], input="n\n")
    assert unasked.exit_code == 1 and "Unbekannte Gegenstelle" in unasked.stderr
    connected = runner.invoke(app, ["wallet", "connect", url, "--yes"])
    assert connected.exit_code == 0, connected.stderr
    assert "Verbunden mit „govchain-issuer“ (nicht geprüft)" in connected.stdout

    credential = to_jsonld_credential(
        DangerousDogPermit().parse(_samples.dog_permit(chain.today())),
        vct=DangerousDogPermit.vct,
        issuer="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        holder="did:key:placeholder",
        issued_at=chain.now(),
        status=chain.issuer.status_list.allocate(),  # type: ignore[union-attr]
    )
    del credential["credentialSubject"]["id"]

    async def offer() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            connection_id = await _agent_side(issuer, invi_msg_id)
            return (await issuer.send_ld_credential_offer(connection_id, credential)).cred_ex_id

    cred_ex_id = run(offer())
    deadline = time.monotonic() + 20
    while True:
        listed = runner.invoke(app, ["wallet", "didcomm"])
        assert listed.exit_code == 0, listed.stderr
        if "Angebot" in listed.stdout:
            break
        assert time.monotonic() < deadline, listed.stdout
        time.sleep(0.1)
    assert _samples.CHIP in listed.stdout and "Chipnummer" in listed.stdout
    holder_side = listed.stdout.split("Angebot ", 1)[1].split()[0]
    refused = runner.invoke(app, ["wallet", "didcomm-answer", holder_side, "--refuse"])
    assert refused.exit_code == 1 and "nichts gespeichert" in refused.stdout

    async def issuer_state() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            done = await issuer.wait_for_credential_exchange(
                cred_ex_id, CREDENTIAL_TERMINAL_STATES, timeout=10
            )
            return done.state

    assert run(issuer_state()) == "abandoned"
    assert "Keine offenen Anfragen" in runner.invoke(app, ["wallet", "didcomm"]).stdout
    assert "Hund" not in runner.invoke(app, ["wallet", "list"]).stdout
