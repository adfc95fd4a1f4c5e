"""A running issuer with its console, the verifier's "Login mit BürgerID" it logs in
through, and the office's status list, all on one Ganache chain over real HTTP; plus a
browser-less login (the test wallet presents the BürgerID behind the login page)."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from govchain.agents.settings import AgentSettings
from govchain.chain.deployment import DeploymentStore
from govchain.chain.types import LevelOfAssurance
from govchain.credentials import _samples
from govchain.credentials.keys import SigningKey
from govchain.issuer import create_app, issuer_identity
from govchain.issuer._status import ChainStatusWriter
from govchain.issuer.console import Console
from govchain.platform.anchoring.service import AnchoringService
from govchain.settings import ChainBackendKind
from govchain.verifier import create_app as create_verifier
from govchain.verifier.settings import OidcClient, VerifierSettings
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Clock, Issuing, Server, Wallet, issuer_settings
from tests.verifier import _wallet

CLIENT_ID = "ausstellungsdienst"
CLIENT_SECRET = "ausstellungsdienst-test-secret-51c0e3a9d2b74f68"


@dataclass(frozen=True)
class Citizen:
    """A person with a BürgerID (on a key of their own) at a level."""

    given_name: str
    family_name: str
    birth_date: date
    level: LevelOfAssurance
    key: SigningKey

    def at(self, level: LevelOfAssurance) -> Citizen:
        return Citizen(self.given_name, self.family_name, self.birth_date, level, self.key)


def citizen(given: str, family: str, born: date, level: LevelOfAssurance) -> Citizen:
    return Citizen(given, family, born, level, SigningKey.generate())


@dataclass
class Env:
    vw: CredWorld
    issuing: Issuing
    verifier_url: str
    verifier_http: httpx.Client
    anchoring: AnchoringService
    list_uri: str

    @property
    def url(self) -> str:
        return self.issuing.settings.credential_issuer

    @property
    def console(self) -> Console:
        service: Console = self.issuing.app.state.console
        return service

    def browser(self) -> httpx.Client:
        """A fresh 'browser' (its own cookies), not following redirects."""
        return httpx.Client(base_url=self.url, timeout=30)

    def present_login(self, page_html: str, who: Citizen) -> None:
        """The wallet's part of a login: present the BürgerID the login page asks for."""
        found = re.search(r'id="wallet" href="([^"]+)"', page_html)
        assert found, page_html
        request = _wallet.fetch_request(self.verifier_http, html.unescape(found.group(1)))
        record = _samples.citizen_id(self.vw.today(), level=who.level).model_copy(
            update={
                "given_name": who.given_name,
                "family_name": who.family_name,
                "birth_date": who.birth_date,
            }
        )
        credential = self.vw.issuer.issue(record, holder=who.key.public_key).serialized
        answered = _wallet.answer(
            self.verifier_http, request, credential, who.key, issued_at=self.vw.now()
        )
        assert answered.status_code == 200, answered.text

    def login(self, who: Citizen, *, niveau: str = "", ziel: str = "/issuer/") -> httpx.Client:
        """Log ``who`` in through "Login mit BürgerID"; returns the logged-in browser."""
        browser = self.browser()
        start = browser.get("/issuer/anmeldung", params={"ziel": ziel, "niveau": niveau})
        assert start.status_code == 303, start.text
        authorize = browser.get(start.headers["location"])
        assert authorize.status_code == 303, authorize.text
        page_url = urljoin(str(authorize.url), authorize.headers["location"])
        page = browser.get(page_url)
        assert page.status_code == 200, page.text
        self.present_login(page.text, who)
        done = browser.get(page_url)
        assert done.status_code == 303, done.text
        back = browser.get(done.headers["location"])
        assert back.status_code == 303, back.text
        assert back.headers["location"] == ziel
        return browser

    def activate(self, browser: httpx.Client, code: str) -> httpx.Response:
        """Enter a one-time activation code (official or landlord) in a logged-in browser."""
        return self.post(browser, "/issuer/aktivierung", {"code": code}, page="/issuer/aktivierung")

    def official_login(self, who: Citizen, code: str) -> httpx.Client:
        """Log a newly registered official in (substanziell) and activate the entry."""
        browser = self.login(who, niveau="substanziell", ziel="/issuer/konsole")
        first = browser.get("/issuer/konsole")
        assert first.status_code == 303 and first.headers["location"] == "/issuer/aktivierung"
        done = self.activate(browser, code)
        assert done.status_code == 303, done.text
        assert browser.get("/issuer/konsole").status_code == 200
        return browser

    def csrf(self, browser: httpx.Client, page: str = "/issuer/") -> str:
        """The anti-forgery token of a page (its hidden field; the cookie is set)."""
        response = browser.get(page)
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        assert found, response.text
        return found.group(1)

    def post(
        self, browser: httpx.Client, path: str, data: dict[str, str], *, page: str = "/issuer/"
    ) -> httpx.Response:
        """A form post with the page's anti-forgery token."""
        return browser.post(path, data={**data, "csrf_token": self.csrf(browser, page)})

    def redeem(self, offer_uri: str, tx_code: str | None, configuration: str) -> str:
        """A wallet takes the offer by OID4VCI; returns the SD-JWT VC."""
        wallet = Wallet(self.issuing.client)
        offer = wallet.resolve(offer_uri)
        token = wallet.token(wallet.code_of(offer), tx_code)
        proof = wallet.proof(wallet.nonce(), self.url, self.vw.now())
        response = wallet.credential_response(
            token, {"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}
        )
        assert response.status_code == 200, response.text
        self.wallet_key = wallet.key
        return str(response.json()["credentials"][0]["credential"])


def start_env(
    vw: CredWorld, tmp: Path, *, agents: AgentSettings | None = None, **overrides: Any
) -> Iterator[Env]:
    """Verifier (OIDC provider) and issuer (OIDC client, console) on loopback; `agents`
    and `overrides` (issuer settings) for the DIDComm channel's tests."""
    w, d = vw.world, vw.world.d
    verifier_port, issuer_port = free_port(), free_port()
    settings = issuer_settings(
        tmp / "issuer",
        issuer_port=issuer_port,
        issuer_oidc_provider=f"http://127.0.0.1:{verifier_port}/oidc",
        issuer_oidc_client_id=CLIENT_ID,
        issuer_oidc_client_secret=CLIENT_SECRET,
        **overrides,
    )
    identity = issuer_identity(settings)
    d.trust.register_did(w.office_admin, vw.office, identity.did, identity.thumbprint)
    list_id, _ = d.status.create_list(w.office_admin)
    list_uri = vw.status.list_uri(list_id)
    settings = settings.model_copy(update={"issuer_status_list_uri": list_uri})

    verifier_data = tmp / "verifier"
    DeploymentStore(verifier_data / "chain").save(d.record)
    verifier_settings = VerifierSettings(
        data_dir=verifier_data,
        chain_backend=ChainBackendKind.GANACHE,
        rpc_url=vw.gateway.url,
        verifier_port=verifier_port,
        verifier_status_max_age_seconds=0,
        verifier_oidc_clients=(
            OidcClient(
                client_id=CLIENT_ID,
                name_de="Ausstellungsdienst der Stadt Aachen",
                redirect_uris=(settings.oidc_redirect_uri,),
                client_secret_sha256=hashlib.sha256(CLIENT_SECRET.encode()).hexdigest(),
                min_level="basisregistrierung",
            ),
        ),
    )
    anchoring = AnchoringService(tmp / "anchoring", None)
    clock = Clock(vw.now)
    app = create_app(
        settings,
        clock=clock,
        anchoring=anchoring,
        status_writer=ChainStatusWriter(d.status, w.office_admin),
        agents=agents,
    )
    verifier = Server(create_verifier(verifier_settings, clock=vw.now), verifier_port)
    with verifier as verifier_http, Server(app, issuer_port) as client:
        verifier_http.follow_redirects = False
        yield Env(
            vw,
            Issuing(client, settings, clock, app, anchoring),
            verifier.url,
            verifier_http,
            anchoring,
            list_uri,
        )
    anchoring.close()


def text_of(response: httpx.Response) -> str:
    """A page's text without tags, for assertions on what a person reads."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The German error page's message (pages) for a refused request."""
    assert response.status_code == status, response.text
    assert "Das hat nicht geklappt" in response.text
    return {"text": text_of(response)}


@pytest.fixture(scope="module")
def env(vw: CredWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from start_env(vw, tmp_path_factory.mktemp("console"))
