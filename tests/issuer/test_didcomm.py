"""The issuer's DIDComm channel with real ACA-Py agents: an approved application goes
into a citizen's Aries wallet (a holder sub-wallet, played through govchain.agents) as a
VCDM 2.0 JSON-LD credential signed by the issuer agent's did:key from the TrustRegistry;
it verifies (ACA-Py + JsonLdVerifier on the chain) until the official revokes it in the
console. With the issuer agent down the citizen gets a clear error and the application
stays approved; the same application then goes through once the agent is back."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govchain.agents import (
    AgentFleet,
    AgentRole,
    DidKeyType,
    ProofOutcome,
    ProofRequest,
    SubWallet,
    connect,
    request_proof,
)
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.types import CredentialStatus, Did, LevelOfAssurance
from govchain.credentials.dids import resolve_did
from govchain.credentials.types import DangerousDogPermit, PolicyContext
from govchain.credentials.verification import ReasonCode
from govchain.issuer import create_app
from govchain.issuer._models import (
    ApplicationRow,
    CredentialRow,
    DidcommRow,
    OfferRow,
)
from govchain.issuer.app import _poll_didcomm
from tests.agents.conftest import ACAPY, agent_settings, run
from tests.credentials.conftest import CredWorld
from tests.issuer._console_env import Env, citizen, problem, start_env, text_of
from tests.verifier.conftest import vw

__all__ = ["vw"]

pytestmark = pytest.mark.ganache

ANA = citizen("Ana", "Aries", date(1994, 6, 7), LevelOfAssurance.SUBSTANTIAL)
OLGA = citizen("Olga", "Ordnung", date(1980, 5, 6), LevelOfAssurance.SUBSTANTIAL)
LEA = citizen("Lea", "Leitung", date(1975, 1, 2), LevelOfAssurance.HIGH)
CHIP = "276098106543210"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentFleet]:
    """A fleet of its own: the tests stop the issuer agent."""
    if not ACAPY.is_file():
        pytest.skip(f"ACA-Py is not installed ({ACAPY} missing); run scripts/bootstrap-agents.sh")
    agents = AgentFleet(agent_settings(Path(tmp_path_factory.mktemp("issuer-agents"))))
    agents.start()
    yield agents
    agents.stop()


@pytest.fixture(scope="module")
def agent_did(fleet: AgentFleet, vw: CredWorld) -> str:
    """The issuer agent's did:key, registered for the office in the TrustRegistry."""

    async def create() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            return (await issuer.create_did(DidKeyType.ED25519)).did

    did = run(create())
    key = resolve_did(did).verification_methods[0].public_key
    vw.world.d.trust.register_did(vw.world.office_admin, vw.office, Did(did), key.thumbprint())
    return did


@pytest.fixture(scope="module")
def env(
    vw: CredWorld, fleet: AgentFleet, agent_did: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    yield from start_env(
        vw,
        tmp_path_factory.mktemp("didcomm"),
        agents=fleet.settings,
        issuer_agent_did=agent_did,
        issuer_didcomm_poll_seconds=0.2,
    )


@dataclass(frozen=True)
class AriesWallet:
    """Ana's Aries wallet: a holder sub-wallet and the did:key she binds credentials to."""

    wallet: SubWallet
    did: str


@pytest.fixture(scope="module")
def wallet(fleet: AgentFleet) -> AriesWallet:
    async def create() -> AriesWallet:
        async with fleet.client(AgentRole.HOLDER) as holder:
            wallet = await holder.create_subwallet("Ana Aries", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as mine:
                return AriesWallet(wallet, (await mine.create_did(DidKeyType.ED25519)).did)

    return run(create())


@pytest.fixture(scope="module")
def officials(env: Env) -> dict[str, httpx.Client]:
    browsers = {}
    for name, person, role in (("olga", OLGA, "sachbearbeitung"), ("lea", LEA, "leitung")):
        _, code = env.console.add_official(
            office="ordnungsamt-aachen",
            role=role,
            given_name=person.given_name,
            family_name=person.family_name,
            birth_date=person.birth_date.isoformat(),
            registered_by="admin",
        )
        browsers[name] = env.official_login(person, code)
    return browsers


def approved_dog_application(env: Env, ana: httpx.Client, olga: httpx.Client) -> str:
    form = {
        "role": "keeper",
        "dog_name": "Rex",
        "breed": "American Staffordshire Terrier",
        "category": "listed",
        "sex": "male",
        "birth_year": "2020",
        "chip_number": CHIP,
        "insurer": "Rheinland Versicherung",
        "policy_number": "HV-9911-02",
        "insured_until": date(env.vw.today().year + 2, 1, 31).isoformat(),
    }
    applied = env.post(ana, "/issuer/antraege/neu/hund", form)
    assert applied.status_code == 303, applied.text
    app_id = applied.headers["location"].rsplit("/", 1)[1]
    page = f"/issuer/konsole/antraege/{app_id}"
    assert env.post(olga, f"{page}/genehmigen", {}, page=page).status_code == 303
    return app_id


def invitation_of(page_html: str) -> dict[str, Any]:
    """What the wallet reads from the invitation link (the QR code's content)."""
    found = re.search(r'id="einladung-link" href="([^"]+)"', page_html)
    assert found, page_html
    query = parse_qs(urlsplit(html.unescape(found.group(1))).query)
    encoded = query["oob"][0]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    return decoded


def wait_for_page(browser: httpx.Client, path: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        page = text_of(browser.get(path))
        if text in page or time.monotonic() >= deadline:
            return page
        time.sleep(0.2)


def prove(fleet: AgentFleet, vw: CredWorld, wallet: AriesWallet, issuer_did: str) -> ProofOutcome:
    """Ana shows the permit to the verifier agent; govchain checks it on the chain."""

    async def body() -> ProofOutcome:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
            holder.for_subwallet(wallet.wallet) as mine,
        ):
            return await request_proof(
                await connect(verifier, mine),
                ProofRequest(
                    DangerousDogPermit(),
                    issuers=(issuer_did,),
                    context=PolicyContext(chip_number=CHIP),
                ),
                verifier=JsonLdVerifier(status=vw.status, trust=vw.trust, clock=vw.now),
                at=vw.now(),
            )

    return run(body())


def untaken_offer(fleet: AgentFleet, invitation: dict[str, Any]) -> str:
    """A wallet that does not answer offers by itself (the verifier agent) connects and
    waits for the credential offer; its exchange id, nothing requested yet."""

    async def body() -> str:
        async with fleet.client(AgentRole.VERIFIER) as wallet:
            await wallet.receive_invitation(invitation, alias="Ordnungsamt Aachen")
            deadline = time.monotonic() + 30
            while True:
                offers = [
                    r for r in await wallet.credential_exchanges() if r.state == "offer-received"
                ]
                if offers or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert offers, "no credential offer arrived"
            return offers[0].cred_ex_id

    return run(body())


def take_offer(fleet: AgentFleet, cred_ex_id: str) -> dict[str, Any]:
    """The wallet's user accepts: the request goes out, the issuer agent signs and sends
    (no store, so no ack follows); the wallet's exchange record with the credential."""

    async def body() -> dict[str, Any]:
        async with fleet.client(AgentRole.VERIFIER) as wallet:
            await wallet.send_credential_request(cred_ex_id)
            await wallet.wait_for_credential_exchange(
                cred_ex_id, frozenset({"credential-received"}), timeout=30
            )
            return await wallet.credential_exchange_detail(cred_ex_id)

    return run(body())


def test_approved_application_goes_into_the_aries_wallet_and_revocation_reaches_it(  # noqa: PLR0915 one story
    env: Env,
    fleet: AgentFleet,
    agent_did: str,
    wallet: AriesWallet,
    officials: dict[str, httpx.Client],
    vw: CredWorld,
) -> None:
    ana = env.login(ANA)
    app_id = approved_dog_application(env, ana, officials["olga"])
    mine = f"/issuer/antraege/{app_id}"
    page = ana.get(mine).text
    assert 'id="didcomm"' in page and "Aries-Wallet (DIDComm)" in page

    # a DID that is no Ed25519 did:key is refused, nothing stored
    bad = env.post(ana, f"{mine}/didcomm", {"wallet_did": "did:web:example.org"}, page=mine)
    assert "Ed25519-did:key" in problem(bad, 422)["text"]

    # the issuer agent is down: one clear sentence, the application stays approved
    fleet[AgentRole.ISSUER].stop()
    try:
        down = env.post(ana, f"{mine}/didcomm", {"wallet_did": wallet.did}, page=mine)
        text = problem(down, 503)["text"]
        assert "Aries-Agent des Amtes ist nicht erreichbar" in text
        assert "der Antrag bleibt genehmigt" in text and "cannot be reached" in text
        assert "127.0.0.1:" not in text  # the agent's admin URL is not shown
        after = ana.get(mine).text
        assert "genehmigt" in text_of(ana.get(mine)) and 'id="angebot-qr"' in after
        assert 'id="einladung-qr"' not in after
        engine = env.issuing.app.state.issuer.engine
        with Session(engine) as session:
            assert list(session.scalars(select(DidcommRow))) == []
            app = session.get(ApplicationRow, app_id)
            assert app is not None and app.state == "approved"
    finally:
        fleet[AgentRole.ISSUER].start()

    # the agent is back: the invitation (QR + link), the wallet connects, the credential comes
    chosen = env.post(ana, f"{mine}/didcomm", {"wallet_did": wallet.did}, page=mine)
    assert chosen.status_code == 303, chosen.text
    page = ana.get(mine).text
    assert 'id="einladung-qr"' in page and "<svg" in page and "viewBox" in page
    invitation = invitation_of(page)

    async def scan() -> None:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            holder.for_subwallet(wallet.wallet) as mine_wallet,
        ):
            await mine_wallet.receive_invitation(invitation, alias="Ordnungsamt Aachen")

    run(scan())
    issued_page = wait_for_page(ana, mine, "Nachweis übernommen")
    assert "Nachweis übernommen" in issued_page, issued_page

    async def stored() -> list[dict[str, Any]]:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            holder.for_subwallet(wallet.wallet) as mine_wallet,
        ):
            return await mine_wallet.w3c_credentials()

    (record,) = run(stored())
    credential = record["cred_value"]
    assert credential["issuer"] == agent_did
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["credentialSubject"]["dog"]["chip_number"] == CHIP
    assert credential["credentialSubject"]["holder"]["family_name"] == "Aries"
    assert credential["proof"]["type"] == "Ed25519Signature2020"

    with Session(env.issuing.app.state.issuer.engine) as session:
        app = session.get(ApplicationRow, app_id)
        assert app is not None and app.state == "issued" and app.offer_uri is None
        offer = session.get(OfferRow, app.offer_id)
        assert offer is not None and offer.state == "withdrawn" and offer.claims is None
        (row,) = session.scalars(select(CredentialRow).where(CredentialRow.offer_id == offer.id))
        (didcomm,) = session.scalars(select(DidcommRow))
    assert row.channel == "didcomm" and didcomm.state == "issued"
    assert didcomm.credential_id == row.id
    # the JSON-LD credential's status entry is the credential row's: one entry on chain
    status = credential["credentialStatus"]
    assert int(status["statusListIndex"]) == row.status_index
    assert status["statusListCredential"] == f"{row.status_list_uri}/w3c"
    assert "Der Code wurde" not in text_of(ana.get("/issuer/postfach"))
    assert "über DIDComm in Ihre Aries-Wallet" in text_of(ana.get("/issuer/postfach"))
    # the OID4VCI offer of the same application is dead now
    assert 'id="angebot-qr"' not in ana.get(mine).text

    service = env.issuing.app.state.issuer
    entry = next(json.loads(r.body) for r in service.audit_log() if r.subject_id == row.id)
    assert entry["event"] == "credential_issued" and entry["channel"] == "didcomm"
    assert entry["issuer"] == agent_did and entry["status_index"] == row.status_index
    assert service.verify_audit_chain()
    assert all(r.anchor_state == "submitted" for r in service.audit_log())

    first = prove(fleet, vw, wallet, agent_did)
    assert first.exchange.is_verified, first.exchange.error_msg
    assert first.result.valid, first.result

    # the official revokes in the console: on chain, and the next proof is refused
    lea = officials["lea"]
    listing = "/issuer/konsole/nachweise"
    assert "DIDComm" in lea.get(listing).text
    revoke = {"aktion": "revoke", "begruendung": "Hund abgegeben"}
    done = env.post(lea, f"/issuer/konsole/nachweise/{row.id}/status", revoke, page=listing)
    assert done.status_code == 303, done.text
    assert vw.status.status(row.status_list_uri, row.status_index) is CredentialStatus.REVOKED
    second = prove(fleet, vw, wallet, agent_did)
    assert second.exchange.is_verified, second.exchange.error_msg
    assert not second.result.valid
    assert ReasonCode.REVOKED in second.result.reasons, second.result

    # issued is final: no second DIDComm issuance of the same application
    again = env.post(ana, f"{mine}/didcomm", {"wallet_did": wallet.did}, page="/issuer/")
    problem(again, 409)


def test_a_wallet_that_withholds_the_ack_still_gets_a_recorded_revocable_credential(
    env: Env, fleet: AgentFleet, officials: dict[str, httpx.Client], vw: CredWorld
) -> None:
    """The issuer agent signs and sends when the wallet's request arrives; the wallet's
    ack only ends the exchange. A wallet that never acks (here the verifier agent, which
    does not store credentials on its own) must not leave an unrecorded credential."""
    eve = citizen("Eve", "Ohneack", date(1991, 1, 1), LevelOfAssurance.SUBSTANTIAL)
    browser = env.login(eve, niveau="substanziell")
    app_id = approved_dog_application(env, browser, officials["olga"])
    mine = f"/issuer/antraege/{app_id}"

    async def did() -> str:
        async with fleet.client(AgentRole.VERIFIER) as wallet:
            return (await wallet.create_did(DidKeyType.ED25519)).did

    wallet_did = run(did())
    chosen = env.post(browser, f"{mine}/didcomm", {"wallet_did": wallet_did}, page=mine)
    assert chosen.status_code == 303, chosen.text
    invitation = invitation_of(browser.get(mine).text)

    received = take_offer(fleet, untaken_offer(fleet, invitation))
    assert received["cred_ex_record"]["state"] == "credential-received"
    page = wait_for_page(browser, mine, "Nachweis übernommen")
    assert "Nachweis übernommen" in page, page

    engine = env.issuing.app.state.issuer.engine
    with Session(engine) as session:
        app = session.get(ApplicationRow, app_id)
        assert app is not None and app.state == "issued"
        (row,) = session.scalars(
            select(CredentialRow).where(CredentialRow.offer_id == app.offer_id)
        )
        (didcomm,) = session.scalars(select(DidcommRow).where(DidcommRow.application_id == app_id))
    assert row.channel == "didcomm" and didcomm.state == "issued"
    assert didcomm.credential_id == row.id
    entry = next(
        json.loads(r.body)
        for r in env.issuing.app.state.issuer.audit_log()
        if r.subject_id == row.id
    )
    assert entry["event"] == "credential_issued" and entry["status_index"] == row.status_index

    # the official can revoke it, and a second DIDComm issuance is refused
    lea = officials["lea"]
    listing = "/issuer/konsole/nachweise"
    revoke = {"aktion": "revoke", "begruendung": "Wallet ohne Bestätigung"}
    done = env.post(lea, f"/issuer/konsole/nachweise/{row.id}/status", revoke, page=listing)
    assert done.status_code == 303, done.text
    assert vw.status.status(row.status_list_uri, row.status_index) is CredentialStatus.REVOKED
    again = env.post(browser, f"{mine}/didcomm", {"wallet_did": wallet_did}, page="/issuer/")
    problem(again, 409)
    renew = env.post(browser, f"{mine}/neues-angebot", {}, page="/issuer/")
    problem(renew, 409)


def stop_poller(app: Any) -> None:
    """The issuer process dies mid-exchange: its DIDComm poller is cancelled where it
    stands (as at shutdown), so nothing after the await it waits in runs."""
    task: asyncio.Task[None] = app.state.didcomm_poller
    task.get_loop().call_soon_threadsafe(task.cancel)
    deadline = time.monotonic() + 10
    while not task.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task.cancelled()


def restart_poller(app: Any) -> None:
    task: asyncio.Task[None] = app.state.didcomm_poller

    async def start() -> None:
        app.state.didcomm_poller = asyncio.create_task(
            _poll_didcomm(app.state.console.didcomm, 0.2)
        )

    asyncio.run_coroutine_threadsafe(start(), task.get_loop()).result(timeout=10)


def restarted_issuer(env: Env, fleet: AgentFleet) -> None:
    """The restarted issuer process: a second app on the same data directory runs its
    start-up (which settles open DIDComm issuances with the agent) and stops again."""
    app = create_app(env.issuing.settings, clock=env.issuing.clock, agents=fleet.settings)

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            pass

    run(start_and_stop())


def test_a_credential_signed_while_the_issuer_was_down_is_recorded_at_restart(  # noqa: PLR0915 one story
    env: Env,
    fleet: AgentFleet,
    officials: dict[str, httpx.Client],
    vw: CredWorld,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The issuer process dies after the offer went out; the agent signs and sends the
    credential while nobody records it. Before the offer left, the DIDComm row stored
    the status entry, the credential's id and hash; the restarted process asks the agent
    (and, while the agent is down, leaves the row and says so) and records the
    credential, which the console then revokes on chain."""
    kim = citizen("Kim", "Absturz", date(1988, 3, 4), LevelOfAssurance.SUBSTANTIAL)
    browser = env.login(kim, niveau="substanziell")
    app_id = approved_dog_application(env, browser, officials["olga"])
    mine = f"/issuer/antraege/{app_id}"

    async def did() -> str:
        async with fleet.client(AgentRole.VERIFIER) as wallet:
            return (await wallet.create_did(DidKeyType.ED25519)).did

    chosen = env.post(browser, f"{mine}/didcomm", {"wallet_did": run(did())}, page=mine)
    assert chosen.status_code == 303, chosen.text
    wallet_ex_id = untaken_offer(fleet, invitation_of(browser.get(mine).text))

    engine = env.issuing.app.state.issuer.engine

    def didcomm_row() -> DidcommRow:
        with Session(engine) as session:
            (row,) = session.scalars(select(DidcommRow).where(DidcommRow.application_id == app_id))
            return row

    deadline = time.monotonic() + 10
    while didcomm_row().state != "issuing" and time.monotonic() < deadline:
        time.sleep(0.1)
    sent = didcomm_row()
    assert sent.state == "issuing" and sent.cred_ex_id is not None
    assert sent.status_list_uri == env.list_uri and sent.status_index is not None
    assert sent.jsonld_id is not None and sent.jsonld_id.startswith("urn:uuid:")
    assert sent.credential_sha256 is not None and len(sent.credential_sha256) == 64

    stop_poller(env.issuing.app)  # the issuer process dies here
    try:
        # restarted while the agent is down: the row is left open, the citizen told so
        fleet[AgentRole.ISSUER].stop()
        try:
            restarted_issuer(env, fleet)
            left = didcomm_row()
            assert left.state == "issuing" and left.error_de is not None
            assert "outcome unknown" in caplog.text
            page = text_of(browser.get(mine))
            assert "Ausstellung wird geprüft" in page and "genehmigt" in page
        finally:
            fleet[AgentRole.ISSUER].start()

        # the wallet takes the offer: the agent signs and sends it, nobody records it
        received = take_offer(fleet, wallet_ex_id)
        credential = received["cred_ex_record"]["by_format"]["cred_issue"]["ld_proof"]
        assert credential["id"] == sent.jsonld_id
        with Session(engine) as session:
            unrecorded = select(CredentialRow).where(CredentialRow.offer_id == sent.offer_id)
            assert list(session.scalars(unrecorded)) == []

        restarted_issuer(env, fleet)  # the next start records it
    finally:
        restart_poller(env.issuing.app)

    done = didcomm_row()
    assert done.state == "issued" and done.error_de is None
    with Session(engine) as session:
        app = session.get(ApplicationRow, app_id)
        assert app is not None and app.state == "issued" and app.offer_uri is None
        row = session.get(CredentialRow, done.credential_id)
        offer = session.get(OfferRow, sent.offer_id)
    assert offer is not None and offer.claims is None
    assert row is not None and row.channel == "didcomm"
    assert (row.status_list_uri, row.status_index) == (sent.status_list_uri, sent.status_index)
    assert int(credential["credentialStatus"]["statusListIndex"]) == row.status_index
    service = env.issuing.app.state.issuer
    entry = next(json.loads(r.body) for r in service.audit_log() if r.subject_id == row.id)
    assert entry["event"] == "credential_issued" and entry["jsonld_id"] == sent.jsonld_id
    assert entry["credential_sha256"] == sent.credential_sha256
    assert entry["cred_ex_id"] == sent.cred_ex_id
    assert service.verify_audit_chain()
    assert "Nachweis übernommen" in text_of(browser.get(mine))

    # the console revokes its status entry on chain
    lea = officials["lea"]
    listing = "/issuer/konsole/nachweise"
    revoke = {"aktion": "revoke", "begruendung": "Ausstellung nach Absturz geprüft"}
    revoked = env.post(lea, f"/issuer/konsole/nachweise/{row.id}/status", revoke, page=listing)
    assert revoked.status_code == 303, revoked.text
    assert vw.status.status(row.status_list_uri, row.status_index) is CredentialStatus.REVOKED
