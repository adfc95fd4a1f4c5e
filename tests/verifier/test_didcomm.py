"""Field checks over DIDComm: the verifier service drives the real ACA-Py verifier agent,
a citizen's holder sub-wallet (playing the Aries wallet) answers, and the result is the
same model as over OID4VP, read over real HTTP (uvicorn on loopback) from the service.

One agent fleet for the module (the last test stops its verifier agent), whose verifier
agent also posts its webhooks to the module's verifier service; status and trust are on
the verifier tests' Ganache chain, read through the deployment record."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from typer.testing import CliRunner

from govchain.agents import (
    AgentAdminClient,
    AgentFleet,
    AgentRole,
    DidKeyType,
    SubWallet,
    connect,
    issue,
)
from govchain.chain.deployment import DeploymentStore
from govchain.chain.types import CredentialStatus, Did
from govchain.cli import app as cli
from govchain.credentials import SigningKey, _samples
from govchain.credentials.dids import resolve_did
from govchain.credentials.status import StatusReference
from govchain.credentials.types import StreetMusicPermit
from govchain.settings import ChainBackendKind
from govchain.verifier import DidcommChannel, RequestExpiredError, VerifierService, create_app
from govchain.verifier._store import DidcommStage, RequestPhase, RequestStore
from govchain.verifier.checks import field_check
from govchain.verifier.didcomm import (
    FALLBACK_MAX_POLL_SECONDS,
    FALLBACK_POLL_SECONDS,
    proof_request,
)
from govchain.verifier.settings import VerifierSettings
from tests.agents.conftest import ACAPY, agent_settings, run
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import Running
from tests.verifier.conftest import issue as issue_sd_jwt

pytestmark = pytest.mark.ganache

API = "/verifier/v1"
runner = CliRunner()


@contextmanager
def serving(settings: VerifierSettings, clock: Callable[[], float]) -> Iterator[httpx.Client]:
    """The verifier app under uvicorn on loopback, as in production."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, clock=clock),
            host="127.0.0.1",
            port=settings.verifier_port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the verifier did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=settings.base_url, timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def settings_for(
    vw: CredWorld,
    data: Path,
    agent_url: str | None,
    agent_key: str | None,
    *,
    port: int | None = None,
    webhook_key: str | None = None,
) -> VerifierSettings:
    DeploymentStore(data / "chain").save(vw.world.d.record)
    return VerifierSettings(
        data_dir=data,
        chain_backend=ChainBackendKind.GANACHE,
        rpc_url=vw.gateway.url,
        verifier_port=port or free_port(),
        verifier_status_max_age_seconds=0,
        verifier_agent_admin_url=agent_url,
        verifier_agent_admin_api_key=SecretStr(agent_key) if agent_key else None,
        verifier_agent_webhook_api_key=SecretStr(webhook_key) if webhook_key else None,
    )


@dataclass(frozen=True)
class Hook:
    """Where the module's verifier service will listen, and the key the verifier agent
    sends with its webhooks (known before the fleet starts, as `govchain up` does)."""

    port: int
    key: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}/didcomm/webhooks"


@pytest.fixture(scope="module")
def hook() -> Hook:
    return Hook(free_port(), secrets.token_urlsafe(24))


@pytest.fixture(scope="module")
def fleet(hook: Hook, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentFleet]:
    """The three agents, once for this module; the verifier agent's webhooks also go to
    the module's verifier service."""
    if not ACAPY.is_file():
        pytest.skip(f"ACA-Py is not installed ({ACAPY} missing); run scripts/bootstrap-agents.sh")
    settings = agent_settings(
        tmp_path_factory.mktemp("agents-verifier"),
        agents_verifier_extra_webhooks=[f"{hook.url}#{hook.key}"],
    )
    agents = AgentFleet(settings)
    agents.start()
    yield agents
    agents.stop()


@dataclass(frozen=True)
class Aries:
    """The verifier service with the fleet's verifier agent, and the fleet."""

    http: httpx.Client
    url: str
    fleet: AgentFleet
    agent_key: str
    issuer_did: str
    settings: VerifierSettings


@pytest.fixture(scope="module")
def aries(
    fleet: AgentFleet, hook: Hook, vw: CredWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Aries]:
    """The verifier service set up for DIDComm with the agent's webhooks, and the issuer
    agent's did:key in the TrustRegistry (registered for the office accredited for all
    four types)."""
    key = fleet.settings.admin_api_key(AgentRole.VERIFIER).get_secret_value()
    settings = settings_for(
        vw,
        tmp_path_factory.mktemp("verifier-didcomm") / "data",
        fleet.settings.admin_url(AgentRole.VERIFIER),
        key,
        port=hook.port,
        webhook_key=hook.key,
    )

    async def issuer_did() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            return (await issuer.create_did(DidKeyType.ED25519)).did

    did = run(issuer_did())
    public_key = resolve_did(did).verification_methods[0].public_key
    vw.world.d.trust.register_did(
        vw.world.office_admin, vw.office, Did(did), public_key.thumbprint()
    )
    with serving(settings, vw.now) as http:
        yield Aries(http, settings.base_url, fleet, key, did, settings)


@dataclass(frozen=True)
class Citizen:
    wallet: SubWallet
    status: StatusReference


def citizen_with_permit(aries: Aries, vw: CredWorld, *, revoked: bool = False) -> Citizen:
    """A new holder sub-wallet with a street-music permit issued over DIDComm (JSON-LD,
    its status entry on the chain), optionally revoked on chain afterwards."""

    async def body() -> Citizen:
        fleet = aries.fleet
        async with (
            fleet.client(AgentRole.ISSUER) as issuer,
            fleet.client(AgentRole.HOLDER) as holder,
        ):
            wallet = await holder.create_subwallet("Erika", f"citizen-{uuid.uuid4()}")
            allocation = vw.issuer.status_list
            assert allocation is not None
            reference = allocation.allocate()
            async with holder.for_subwallet(wallet) as citizen:
                await issue(
                    await connect(issuer, citizen),
                    _samples.street_music_permit(vw.today()),
                    vct=StreetMusicPermit.vct,
                    issuer_did=aries.issuer_did,
                    status=reference,
                    issued_at=vw.now(),
                )
            return Citizen(wallet, reference)

    citizen = run(body())
    if revoked:
        vw.world.d.status.set_status(
            vw.world.office_admin, vw.list_id, citizen.status.index, CredentialStatus.REVOKED
        )
    return citizen


def invitation_of(url: str) -> dict[str, Any]:
    """What an Aries wallet reads from the QR code: the ``oob`` parameter's JSON."""
    oob = parse_qs(urlsplit(url).query)["oob"][0]
    return dict(json.loads(base64.urlsafe_b64decode(oob + "=" * (-len(oob) % 4))))


def scan(aries: Aries, wallet: SubWallet | None, invitation_url: str) -> None:
    """The citizen's wallet accepts the invitation (and then answers on its own)."""

    async def body() -> None:
        async with aries.fleet.client(AgentRole.HOLDER) as holder:
            target = holder.for_subwallet(wallet) if wallet is not None else holder
            async with target as me:
                await me.receive_invitation(invitation_of(invitation_url))

    run(body())


def start(http: httpx.Client, params: dict[str, str] | None = None) -> dict[str, Any]:
    response = http.post(
        f"{API}/didcomm/requests",
        json={"check": "strassenmusik", "params": params or {"zone": "markt"}},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def wait_for_result(http: httpx.Client, request_id: str, timeout: float = 45) -> httpx.Response:
    """The result endpoint once it no longer says pending (202)."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"{API}/requests/{request_id}/result")
        if response.status_code != 202:
            return response
        assert time.monotonic() < deadline, f"still pending: {response.json()}"
        time.sleep(0.1)


def on_agent[T](
    aries: Aries, role: AgentRole, call: Callable[[AgentAdminClient], Awaitable[T]]
) -> T:
    async def body() -> T:
        async with aries.fleet.client(role) as agent:
            return await call(agent)

    return run(body())


@dataclass(frozen=True)
class Green:
    request_id: str
    created: dict[str, Any]
    pending: dict[str, Any]
    result: dict[str, Any]
    citizen: Citizen


@pytest.fixture(scope="module")
def green(aries: Aries, vw: CredWorld) -> Green:
    """A valid permit presented over DIDComm to a street-music check in zone markt."""
    citizen = citizen_with_permit(aries, vw)
    created = start(aries.http, {"zone": "markt", "instrument": "Geige"})
    pending = aries.http.get(f"{API}/requests/{created['request_id']}/result")
    assert pending.status_code == 202, pending.text
    scan(aries, citizen.wallet, created["invitation_url"])
    response = wait_for_result(aries.http, created["request_id"])
    assert response.status_code == 200, response.text
    return Green(created["request_id"], created, pending.json(), response.json(), citizen)


# --- a verifier with an agent ----------------------------------------------------------------


def test_a_valid_permit_over_didcomm_is_green_with_only_the_needed_claims(
    green: Green, aries: Aries
) -> None:
    assert green.created["channel"] == "didcomm"
    assert green.created["title_de"] == "Straßenmusik, Zone markt (Geige)"
    assert "?oob=" in green.created["invitation_url"]
    assert aries.agent_key not in json.dumps(green.created)  # the admin key stays inside
    assert green.pending["channel"] == "didcomm" and green.pending["stage"] == "invited"

    result = green.result
    assert result["outcome"] == "valid" and result["valid"], result
    assert result["issuer"] == aries.issuer_did
    assert result["vct"] == StreetMusicPermit.vct
    codes = {c["name"]: c["reason_code"] for c in result["checks"]}
    assert codes["signature"] == "signature_valid"
    assert codes["holder_binding"] == "holder_bound"
    assert codes["status"] == "status_valid"
    assert codes["trust"] == "issuer_trusted"
    assert codes["type_policy"] == "policy_met"
    # group size, amplification, max minutes, office, ... are in the credential, never kept
    assert set(result["claims"]) == {
        "permit_number",
        "performers",
        "instruments",
        "zones",
        "date_from",
        "date_to",
        "daily_windows",
    }


def test_the_page_shows_the_didcomm_result_large_and_green(green: Green, aries: Aries) -> None:
    page = aries.http.get(f"/verifier/pruefungen/{green.request_id}")
    assert page.status_code == 200
    assert 'data-outcome="valid"' in page.text and "✓ Gültig" in page.text
    assert "Erlaubnisnummer" in page.text and "AC-SM-2026-0107" in page.text
    assert "Lena Klang, Mehmet Saite" in page.text
    for hidden in ("Gruppengröße", "Ausstellende Behörde", "Verstärker"):
        assert hidden not in page.text  # in the JSON-LD credential, but never shown
    assert "<svg" not in page.text  # no QR code once answered
    assert 'http-equiv="refresh"' not in page.text


def test_the_didcomm_result_has_the_same_model_as_an_oid4vp_result(
    green: Green, aries: Aries, vw: CredWorld
) -> None:
    created = aries.http.post(
        f"{API}/requests",
        json={"check": "strassenmusik", "params": {"zone": "markt", "instrument": "Geige"}},
    ).json()
    request = _wallet.fetch_request(aries.http, created["openid4vp_uri"])
    permit = issue_sd_jwt(vw, _samples.street_music_permit(vw.today()))
    answered = _wallet.answer(aries.http, request, permit.serialized, vw.holder, issued_at=vw.now())
    assert answered.status_code == 200, answered.text
    oid4vp = aries.http.get(f"{API}/requests/{created['request_id']}/result").json()
    assert oid4vp["outcome"] == "valid", oid4vp

    didcomm = green.result
    assert set(didcomm) == set(oid4vp)
    assert [c["name"] for c in didcomm["checks"]] == [c["name"] for c in oid4vp["checks"]]
    assert [c["reason_code"] for c in didcomm["checks"]] == [
        c["reason_code"] for c in oid4vp["checks"]
    ]
    assert set(didcomm["checks"][0]) == set(oid4vp["checks"][0])
    assert set(didcomm["claims"]) == set(oid4vp["claims"])  # the same minimisation
    assert didcomm["claims"]["performers"] == oid4vp["claims"]["performers"]


def test_after_the_check_nothing_is_left_open_on_the_agents(green: Green, aries: Aries) -> None:
    """The wallet got ACA-Py's ack (its record is done, then removed by ACA-Py) and the
    verifier agent removed the connection to the citizen once the result was in."""

    async def holder_states(holder: AgentAdminClient) -> list[str]:
        async with holder.for_subwallet(green.citizen.wallet) as me:
            return [r.state for r in await me.presentation_exchanges()]

    deadline = time.monotonic() + 10
    while True:
        states = on_agent(aries, AgentRole.HOLDER, holder_states)
        connections = on_agent(aries, AgentRole.VERIFIER, AgentAdminClient.connections)
        open_ones = [c for c in connections if c.is_active]
        if all(state == "done" for state in states) and not open_ones:
            break
        assert time.monotonic() < deadline, (states, open_ones)
        time.sleep(0.2)


def test_a_permit_revoked_on_chain_is_red_with_the_german_reason(
    aries: Aries, vw: CredWorld
) -> None:
    citizen = citizen_with_permit(aries, vw, revoked=True)
    created = start(aries.http)
    scan(aries, citizen.wallet, created["invitation_url"])
    response = wait_for_result(aries.http, created["request_id"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["outcome"] == "invalid" and not result["valid"]
    status = next(c for c in result["checks"] if c["name"] == "status")
    assert status["reason_code"] == "revoked"
    assert status["message_de"] == "Der Nachweis wurde widerrufen."
    # the signature held (ACA-Py), so the chain decided: red, not "cannot verify"
    signature = next(c for c in result["checks"] if c["name"] == "signature")
    assert signature["reason_code"] == "signature_valid"

    page = aries.http.get(f"/verifier/pruefungen/{created['request_id']}")
    assert 'data-outcome="invalid"' in page.text and "✗ Nicht gültig" in page.text
    assert "Der Nachweis wurde widerrufen." in page.text


def test_a_wallet_without_the_permit_ends_the_check_refused_within_seconds(
    aries: Aries, vw: CredWorld
) -> None:
    """ACA-Py 1.7's holder answers with a generic problem report, which the verifier agent
    does not apply to its record (it stays request-sent) but passes on as a webhook: the
    service ends the check at once, long before it expires, and cleans up as on expiry."""
    created = start(aries.http)
    started = time.monotonic()

    async def empty_wallet(holder: AgentAdminClient) -> SubWallet:
        return await holder.create_subwallet("Leer", f"citizen-{uuid.uuid4()}")

    scan(aries, on_agent(aries, AgentRole.HOLDER, empty_wallet), created["invitation_url"])
    response = wait_for_result(aries.http, created["request_id"], timeout=30)
    took = time.monotonic() - started
    assert response.status_code == 410, response.text
    assert took < 10, f"refusal noticed only after {took:.1f} s"
    problem = response.json()
    assert problem["type"].endswith("/request-failed")
    assert "Die Wallet hat den Nachweis nicht gezeigt" in problem["detail_de"]
    assert "Meldung der Wallet: abandoned" in problem["detail_de"]
    assert "did not show the credential" in problem["detail"]

    page = aries.http.get(f"/verifier/pruefungen/{created['request_id']}")
    assert "Abgebrochen" in page.text and "Die Wallet hat den Nachweis nicht gezeigt" in page.text
    assert 'http-equiv="refresh"' not in page.text
    printed = runner.invoke(cli, ["verifier", "result", created["request_id"], "--url", aries.url])
    assert printed.exit_code == 1
    assert "Die Wallet hat den Nachweis nicht gezeigt" in " ".join(printed.stderr.split())

    # cleaned up as on expiry: the exchange abandoned (the wallet told), connection removed
    store = RequestStore(aries.settings.verifier_dir / "verifier.sqlite3")
    row = store.didcomm(created["request_id"])
    store.close()
    assert row is not None and row.pres_ex_id is not None and row.connection_id is not None
    deadline = time.monotonic() + 10
    while True:
        exchange = on_agent(
            aries, AgentRole.VERIFIER, lambda agent: agent.presentation_exchange(row.pres_ex_id)
        )
        connections = on_agent(aries, AgentRole.VERIFIER, AgentAdminClient.connections)
        gone = row.connection_id not in {c.connection_id for c in connections}
        if exchange.state == "abandoned" and gone:
            break
        assert time.monotonic() < deadline, (exchange.state, gone)
        time.sleep(0.2)


def test_a_webhook_without_the_agents_key_is_refused_and_changes_nothing(
    aries: Aries, hook: Hook
) -> None:
    """A check whose "wallet" (the issuer agent, which never answers presentation
    requests on its own) keeps it waiting: a problem report for its thread posted
    without or with a wrong key is 401 and the check stays open; the same report with
    the agent's key ends it at once."""
    created = start(aries.http)
    scan_by_issuer = on_agent(
        aries,
        AgentRole.ISSUER,
        lambda issuer: issuer.receive_invitation(invitation_of(created["invitation_url"])),
    )
    assert scan_by_issuer.connection_id is not None
    deadline = time.monotonic() + 20
    while True:
        pending = aries.http.get(f"{API}/requests/{created['request_id']}/result")
        assert pending.status_code == 202, pending.text
        if pending.json()["stage"] == "requested":
            break
        assert time.monotonic() < deadline, pending.json()
        time.sleep(0.1)
    store = RequestStore(aries.settings.verifier_dir / "verifier.sqlite3")
    row = store.didcomm(created["request_id"])
    store.close()
    assert row is not None and row.pres_ex_id is not None
    pres_ex_id = row.pres_ex_id
    exchange = on_agent(
        aries, AgentRole.VERIFIER, lambda agent: agent.presentation_exchange(pres_ex_id)
    )
    report = {
        "@type": "https://didcomm.org/notification/1.0/problem-report",
        "~thread": {"thid": exchange.thread_id},
        "description": {"en": "no", "code": "abandoned"},
    }
    url = f"{hook.url}/topic/problem_report/"
    for headers in ({}, {"x-api-key": "wrong-" + hook.key}, {"x-api-key": hook.key[:-1]}):
        refused = httpx.post(url, json=report, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == "Not authorized."
        assert refused.json()["detail_de"] == "Nicht berechtigt."
    time.sleep(0.5)
    still = aries.http.get(f"{API}/requests/{created['request_id']}/result")
    assert still.status_code == 202 and still.json()["stage"] == "requested"

    # a body that is not a JSON object is refused even with the key
    bad = httpx.post(url, content=b"[1, 2]", headers={"x-api-key": hook.key})
    assert bad.status_code == 400 and bad.json()["type"].endswith("/malformed-webhook")

    accepted = httpx.post(url, json=report, headers={"x-api-key": hook.key})
    assert accepted.status_code == 204, accepted.text
    ended = wait_for_result(aries.http, created["request_id"], timeout=5)
    assert ended.status_code == 410 and "nicht gezeigt" in ended.json()["detail_de"]


def test_without_webhooks_a_refusing_wallet_is_cleaned_up_when_the_check_expires(
    aries: Aries, vw: CredWorld, tmp_path: Path
) -> None:
    """Without the agent's webhooks (a channel in process, on the same agent, with a
    3-second request lifetime) the generic problem report is never seen, so the check
    runs until it expires; then the exchange is abandoned on the agent and the connection
    removed."""
    service = VerifierService(
        store=RequestStore(tmp_path / "verifier.sqlite3"),
        key=SigningKey.generate(),
        base_url="http://127.0.0.1:9",
        status=vw.status,
        trust=vw.trust,
        ttl=3,
    )

    async def body() -> tuple[str, str, list[str]]:
        fleet = aries.fleet
        async with (
            fleet.client(AgentRole.VERIFIER) as agent,
            fleet.client(AgentRole.HOLDER) as holder,
        ):
            channel = DidcommChannel(service, agent, poll_seconds=0.05)
            created = await channel.create_request("strassenmusik", {"zone": "markt"})
            wallet = await holder.create_subwallet("Leer", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as me:
                await me.receive_invitation(invitation_of(created.invitation_url))
            deadline = time.monotonic() + 15
            while channel.open_requests:
                assert time.monotonic() < deadline, "the check did not end"
                await asyncio.sleep(0.1)
            row = service.store.didcomm(created.request_id)
            assert row is not None and row.pres_ex_id is not None
            exchange = await agent.presentation_exchange(row.pres_ex_id)
            connections = [c.connection_id for c in await agent.connections()]
            return created.request_id, exchange.state, connections

    request_id, state, connections = run(body())
    stored = service.get(request_id)
    assert stored.phase is RequestPhase.EXPIRED and stored.stage is DidcommStage.REQUESTED
    with pytest.raises(RequestExpiredError):
        service.result(request_id)
    assert state == "abandoned"  # the wallet was told the thread is over
    row = service.store.didcomm(request_id)
    assert row is not None and row.connection_id not in connections
    service.store.close()


def test_the_pages_offer_the_aries_path_and_show_the_invitation_as_qr(aries: Aries) -> None:
    start_page = aries.http.get("/verifier/")
    assert "Prüfung mit Aries-Wallet (DIDComm)" in start_page.text
    started = aries.http.post(
        "/verifier/pruefungen",
        data={"check": "hund", "chip_number": "", "channel": "didcomm"},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    page = aries.http.get(started.headers["location"])
    assert page.status_code == 200
    assert "<svg" in page.text and 'http-equiv="refresh"' in page.text
    assert 'data-stage="invited"' in page.text and "Aries-Wallet" in page.text
    assert "?oob=" in page.text and "Einladungslink" in page.text
    assert "openid4vp://" not in page.text
    assert aries.agent_key not in page.text
    request_id = started.headers["location"].rsplit("/", 1)[-1]
    pending = aries.http.get(f"{API}/requests/{request_id}/result")
    assert pending.status_code == 202
    assert pending.json()["channel"] == "didcomm" and pending.json()["stage"] == "invited"


def test_the_cli_prints_the_invitation_and_then_the_result(green: Green, aries: Aries) -> None:
    started = runner.invoke(
        cli,
        [
            "verifier",
            "request",
            "--check",
            "strassenmusik",
            "--param",
            "zone=markt",
            "--didcomm",
            "--url",
            aries.url,
        ],
    )
    assert started.exit_code == 0, started.stderr
    invitation_url = started.stdout.strip()
    assert "?oob=" in invitation_url
    request_id = started.stderr.split("request id:")[1].split()[0]
    pending = runner.invoke(cli, ["verifier", "result", request_id, "--url", aries.url])
    assert pending.exit_code == 2, pending.stdout

    scan(aries, green.citizen.wallet, invitation_url)  # the same citizen, checked again
    assert wait_for_result(aries.http, request_id).status_code == 200
    done = runner.invoke(cli, ["verifier", "result", request_id, "--url", aries.url])
    assert done.exit_code == 0, done.stdout
    printed = json.loads(done.stdout)
    assert printed["outcome"] == "valid"
    assert [c["name"] for c in printed["checks"]] == [c["name"] for c in green.result["checks"]]


def test_open_didcomm_checks_are_capped_and_the_next_is_refused_in_german(
    aries: Aries, vw: CredWorld, tmp_path: Path
) -> None:
    """Anyone who reaches the service can start a check, and each one holds an invitation
    on the agent and a task: at GOVCHAIN_VERIFIER_DIDCOMM_MAX_OPEN the next is refused
    with 429 and nothing is stored or created on the agent for it."""
    settings = settings_for(
        vw, tmp_path / "data", aries.fleet.settings.admin_url(AgentRole.VERIFIER), aries.agent_key
    ).model_copy(update={"verifier_didcomm_max_open": 1})
    with serving(settings, vw.now) as http:
        first = start(http)
        refused = http.post(
            f"{API}/didcomm/requests", json={"check": "strassenmusik", "params": {"zone": "markt"}}
        )
        assert refused.status_code == 429, refused.text
        problem = refused.json()
        assert problem["type"].endswith("/too-many-didcomm-checks")
        assert "Es laufen bereits 1 Prüfungen über DIDComm" in problem["detail_de"]
        assert "no check was started" in problem["detail"]
        pending = http.get(f"{API}/requests/{first['request_id']}/result")
        assert pending.status_code == 202  # the open check is not disturbed
    with sqlite3.connect(settings.verifier_dir / "verifier.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM didcomm").fetchone() == (1,)


def test_a_check_nobody_answers_polls_the_agent_less_and_less_often(
    aries: Aries, vw: CredWorld, tmp_path: Path
) -> None:
    """Waiting for a wallet, the agent is read after 0.2 s, then 1.5 times later each
    time up to 2 s: a 3-second check nobody answers reads the agent's connections a
    handful of times, not 15 (every 0.2 s)."""
    service = VerifierService(
        store=RequestStore(tmp_path / "verifier.sqlite3"),
        key=SigningKey.generate(),
        base_url="http://127.0.0.1:9",
        status=vw.status,
        trust=vw.trust,
        ttl=3,
    )
    reads: list[float] = []
    filters: list[str | None] = []

    async def body() -> None:
        async with aries.fleet.client(AgentRole.VERIFIER) as agent:
            real = agent.connections

            async def counted(**kwargs: Any) -> Any:
                reads.append(time.monotonic())
                filters.append(kwargs.get("invitation_msg_id"))
                return await real(**kwargs)

            agent.connections = counted  # type: ignore[method-assign]
            channel = DidcommChannel(service, agent)
            await channel.create_request("strassenmusik", {"zone": "markt"})
            deadline = time.monotonic() + 15
            while channel.open_requests:
                assert time.monotonic() < deadline, "the check did not end"
                await asyncio.sleep(0.1)

    run(body())
    assert None not in filters  # only this invitation's connection, never all of them
    assert 3 <= len(reads) <= 8, len(reads)
    gaps = [b - a for a, b in itertools.pairwise(reads)]
    assert gaps[0] < 0.5 and max(gaps) > 0.9  # quick at first, then growing waits
    service.store.close()


def test_with_webhooks_polling_is_slow_and_a_webhook_wakes_the_check_at_once(
    aries: Aries, vw: CredWorld, tmp_path: Path
) -> None:
    """With webhooks the agent is read at once, then only after 2 s (the fallback for
    lost webhooks); a `connections` webhook for the check's invitation makes it read now."""
    service = VerifierService(
        store=RequestStore(tmp_path / "verifier.sqlite3"),
        key=SigningKey.generate(),
        base_url="http://127.0.0.1:9",
        status=vw.status,
        trust=vw.trust,
        ttl=30,
    )
    reads: list[float] = []

    async def body() -> None:
        async with aries.fleet.client(AgentRole.VERIFIER) as agent:
            real = agent.connections

            async def counted(**kwargs: Any) -> Any:
                reads.append(time.monotonic())
                return await real(**kwargs)

            agent.connections = counted  # type: ignore[method-assign]
            channel = DidcommChannel(
                service,
                agent,
                webhooks=True,
                poll_seconds=FALLBACK_POLL_SECONDS,
                max_poll_seconds=FALLBACK_MAX_POLL_SECONDS,
            )
            created = await channel.create_request("strassenmusik", {"zone": "markt"})
            await asyncio.sleep(1.0)
            assert len(reads) == 1  # once at the start, then 2 s of quiet
            channel.notify("connections", {"invitation_msg_id": "another-invitation"})
            channel.notify("problem_report", {"~thread": {"thid": "another-thread"}})
            await asyncio.sleep(0.3)
            assert len(reads) == 1  # other checks' webhooks do not wake this one
            row = service.store.didcomm(created.request_id)
            assert row is not None
            woken = time.monotonic()
            channel.notify("connections", {"invitation_msg_id": row.invi_msg_id})
            await asyncio.sleep(0.3)
            assert len(reads) == 2 and reads[1] - woken < 0.3
            await channel.aclose()

    run(body())
    service.store.close()


def test_an_agent_that_goes_down_mid_check_fails_the_request_in_german(aries: Aries) -> None:
    """Runs last: it stops the fleet's verifier agent."""
    created = start(aries.http)
    aries.fleet[AgentRole.VERIFIER].stop()
    response = wait_for_result(aries.http, created["request_id"], timeout=15)
    assert response.status_code == 410, response.text
    problem = response.json()
    assert problem["type"].endswith("/request-failed")
    assert "nicht erreichbar" in problem["detail_de"]
    assert "cannot be reached" in problem["detail"]
    page = aries.http.get(f"/verifier/pruefungen/{created['request_id']}")
    assert "Abgebrochen" in page.text and "Prüf-Agent" in page.text
    assert 'http-equiv="refresh"' not in page.text  # it does not wait for ever

    # a new check is refused at once, and nothing is stored for it
    refused = aries.http.post(
        f"{API}/didcomm/requests", json={"check": "strassenmusik", "params": {"zone": "markt"}}
    )
    assert refused.status_code == 503, refused.text
    assert refused.json()["type"].endswith("/verifier-agent-unavailable")
    assert "Läuft der Agent?" in refused.json()["detail_de"]
    cli_result = runner.invoke(
        cli, ["verifier", "result", created["request_id"], "--url", aries.url]
    )
    assert cli_result.exit_code == 1 and "abgebrochen" in cli_result.stderr


# --- a verifier without an agent -------------------------------------------------------------


def test_without_a_verifier_agent_didcomm_is_hidden_and_refused(server: Running) -> None:
    refused = server.http.post(
        f"{API}/didcomm/requests", json={"check": "strassenmusik", "params": {"zone": "markt"}}
    )
    assert refused.status_code == 503
    problem = refused.json()
    assert problem["type"].endswith("/didcomm-not-configured")
    assert "kein Prüf-Agent eingerichtet" in problem["detail_de"]
    assert "no verifier agent configured" in problem["detail"]

    assert "Aries" not in server.http.get("/verifier/").text
    # no webhooks set up: the endpoint answers as to a wrong key, and says nothing more
    hooked = server.http.post(
        f"{API}/didcomm/webhooks/topic/problem_report/",
        json={"~thread": {"thid": "x"}},
        headers={"x-api-key": "k" * 32},
    )
    assert hooked.status_code == 401 and hooked.json()["detail"] == "Not authorized."
    page = server.http.post(
        "/verifier/pruefungen",
        data={"check": "strassenmusik", "zone": "markt", "channel": "didcomm"},
        follow_redirects=False,
    )
    assert page.status_code == 503 and "kein Prüf-Agent eingerichtet" in page.text

    cli_refused = runner.invoke(
        cli,
        [
            "verifier",
            "request",
            "--check",
            "strassenmusik",
            "--param",
            "zone=markt",
            "--didcomm",
            "--url",
            server.url,
        ],
    )
    assert cli_refused.exit_code == 1 and "DIDComm" in cli_refused.stderr


def test_an_unreachable_agent_refuses_the_check_and_stores_nothing(
    vw: CredWorld, tmp_path: Path
) -> None:
    settings = settings_for(vw, tmp_path / "data", f"http://127.0.0.1:{free_port()}", "k" * 16)
    with serving(settings, vw.now) as http:
        refused = http.post(
            f"{API}/didcomm/requests",
            json={"check": "strassenmusik", "params": {"zone": "markt"}},
        )
        assert refused.status_code == 503, refused.text
        assert refused.json()["type"].endswith("/verifier-agent-unavailable")
        assert "keine Prüfung gestartet" in refused.json()["detail_de"]
        bad = http.post(f"{API}/didcomm/requests", json={"check": "nope", "params": {}})
        assert bad.status_code == 400  # the check is refused before the agent is asked
    with sqlite3.connect(settings.verifier_dir / "verifier.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM didcomm").fetchone() == (0,)


def test_agent_settings_need_both_url_and_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ADMIN_API_KEY is required"):
        VerifierSettings(data_dir=tmp_path, verifier_agent_admin_url="http://127.0.0.1:8051")
    with pytest.raises(ValueError, match="real secret outside development"):
        VerifierSettings(
            data_dir=tmp_path,
            environment="production",
            verifier_oidc_pairwise_secret="p" * 40,
            verifier_agent_admin_url="http://127.0.0.1:8051",
            verifier_agent_admin_api_key="govchain-agents-development-only",
        )
    ok = VerifierSettings(
        data_dir=tmp_path,
        verifier_agent_admin_url="http://127.0.0.1:8051",
        verifier_agent_admin_api_key="agent-admin-key-4711",
    )
    assert ok.didcomm_enabled
    assert "agent-admin-key-4711" not in repr(ok)


def test_the_presentation_request_asks_for_exactly_the_checks_claims() -> None:
    dog = field_check("hund")
    with_chip = dog.params({"chip_number": "276098106543210"})
    request = proof_request(dog, with_chip)
    (descriptor,) = request.definition()["input_descriptors"]
    paths = [f["path"][0] for f in descriptor["constraints"]["fields"]]
    assert paths[0] == "$.type[*]"
    assert descriptor["constraints"]["fields"][0]["filter"]["const"] == "DangerousDogPermit"
    assert "$.issuer" not in paths  # any issuer: trust is decided on chain
    assert paths[1:] == [
        f"$.credentialSubject.{'.'.join(str(k) for k in path if k is not None)}"
        for path in dog.claims(with_chip)
    ]
    assert "$.credentialSubject.dog.chip_number" in paths
    assert request.context.chip_number == "276098106543210"
    without = proof_request(dog, dog.params({}))
    assert "dog.chip_number" not in without.claim_paths()  # asked for only when read

    landlord = field_check("wohnungsgeber")
    fields = proof_request(landlord, landlord.params({})).claim_paths()
    assert "residents" in fields and "dwelling.postal_code" in fields
    assert len(fields) == len(set(fields))
