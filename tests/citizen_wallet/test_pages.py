"""The wallet's German pages over real HTTP (uvicorn on loopback): set-up, unlock with
throttling, receiving from the real issuer, presenting to the real verifier with the
consent page, the log; forms without a valid anti-forgery token are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from govchain.citizen_wallet import CitizenWallet, WalletSettings, create_app
from govchain.credentials import _samples
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Issuing, Server
from tests.verifier.conftest import Running

DOG = "dangerous_dog_permit_sd_jwt"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM_ACTION = re.compile(r'<form method="post" action="(/wallet/(?:empfangen|vorzeigen)/[^"]+)"')


@dataclass
class Browser:
    """An httpx client that behaves like a browser: keeps cookies, posts forms with the
    page's anti-forgery token."""

    http: httpx.Client
    wallet: CitizenWallet

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def submit(self, page: httpx.Response, url: str, /, **fields: str) -> httpx.Response:
        match = _CSRF.search(page.text)
        assert match, page.text
        return self.http.post(url, data={"csrf_token": match.group(1), **fields})


def _serve(tmp_path: Path, **options: object) -> Iterator[Browser]:
    port = free_port()
    settings = WalletSettings(data_dir=tmp_path / "data", wallet_port=port)
    wallet = new_wallet(tmp_path / "w", **options)
    with Server(create_app(settings, wallet=wallet), port) as http:
        yield Browser(http, wallet)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    yield from _serve(tmp_path)


def _set_up(browser: Browser) -> httpx.Response:
    page = browser.get("/wallet/")
    assert page.status_code == 303 and page.headers["location"] == "/wallet/einrichten"
    form = browser.get("/wallet/einrichten")
    assert 'name="viewport"' in form.text and 'lang="de"' in form.text
    done = browser.submit(form, "/wallet/einrichten", pin=PIN, pin2=PIN)
    assert done.status_code == 303
    cards = browser.get("/wallet/")
    assert cards.status_code == 200 and "Noch keine Nachweise" in cards.text
    return cards


def test_forms_need_the_anti_forgery_token(browser: Browser) -> None:
    response = browser.http.post("/wallet/einrichten", data={"pin": PIN, "pin2": PIN})
    assert response.status_code == 403
    assert "Formular ist abgelaufen" in response.text
    assert not browser.wallet.exists
    page = browser.get("/wallet/einrichten")
    forged = browser.http.post(
        "/wallet/einrichten", data={"csrf_token": "x.y", "pin": PIN, "pin2": PIN}
    )
    assert forged.status_code == 403 and not browser.wallet.exists
    assert page.status_code == 200


def test_set_up_lock_unlock_and_wrong_pin(browser: Browser) -> None:
    cards = _set_up(browser)
    locked = browser.submit(cards, "/wallet/sperren")
    assert locked.status_code == 303 and locked.headers["location"] == "/wallet/entsperren"
    assert not browser.wallet.unlocked
    assert browser.get("/wallet/protokoll").headers["location"] == "/wallet/entsperren"
    form = browser.get("/wallet/entsperren")
    for _ in range(2):
        wrong = browser.submit(form, "/wallet/entsperren", pin="000000")
        assert wrong.status_code == 401 and "Falsche PIN" in wrong.text
    third = browser.submit(form, "/wallet/entsperren", pin="000001")
    assert "30 s warten" in third.text
    throttled = browser.submit(form, "/wallet/entsperren", pin=PIN)
    assert throttled.status_code == 429 and "Zu viele falsche PINs" in throttled.text
    assert not browser.wallet.unlocked


def test_an_open_wallet_needs_this_browsers_session(browser: Browser) -> None:
    _set_up(browser)
    with httpx.Client(base_url=str(browser.http.base_url)) as stranger:
        page = stranger.get("/wallet/protokoll")
    assert page.status_code == 303 and page.headers["location"] == "/wallet/entsperren"


def test_receive_through_the_pages(offline: Issuing, browser: Browser) -> None:
    cards = _set_up(browser)
    claims = _samples.dog_permit(date.today()).model_dump(mode="json")
    created = offline.offer(claims, ctype=DOG, tx_code="731902")
    form = browser.get("/wallet/empfangen")
    preview = browser.submit(form, "/wallet/empfangen", offer=str(created["offer_uri"]))
    assert preview.status_code == 200, preview.text
    assert "Erlaubnis für gefährliche Hunde" in preview.text
    assert "Unbekannte Ausstellerin" in preview.text and "Transaktionscode" in preview.text
    assert browser.wallet.credentials() == []
    action = _FORM_ACTION.search(preview.text)
    assert action
    refused = browser.submit(preview, action.group(1), action="annehmen", tx_code="731902")
    assert refused.status_code == 409 and "Bitte prüfen Sie diese Warnungen" in refused.text
    assert browser.wallet.credentials() == []
    accepted = browser.submit(
        preview, action.group(1), action="annehmen", tx_code="731902", acknowledge="ja"
    )
    assert accepted.status_code == 303
    cards = browser.get("/wallet/")
    assert "Erlaubnis für gefährliche Hunde" in cards.text
    [card] = browser.wallet.credentials()
    detail = browser.get(f"/wallet/nachweis/{card.id}")
    assert "Mustermann" in detail.text and "Status unbekannt" in detail.text
    deleted = browser.submit(detail, f"/wallet/nachweis/{card.id}/loeschen")
    assert deleted.status_code == 303 and browser.wallet.credentials() == []


@pytest.mark.ganache
def test_present_through_the_consent_page(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    for browser in _serve(
        tmp_path,
        known_issuers={chain_issuer.issuer: "Ordnungsamt"},
        status=vw.status,
        trust=vw.trust,
        clock=vw.now,
    ):
        _set_up(browser)
        claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
        created = chain_issuer.offer(claims, ctype=DOG, tx_code="731902")
        preview = browser.wallet.preview_offer(str(created["offer_uri"]))
        browser.wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
        assert "gültig" in browser.get("/wallet/").text

        request = server.client.create_request("hund", {})
        form = browser.get("/wallet/vorzeigen")
        consent = browser.submit(form, "/wallet/vorzeigen", request=request.openid4vp_uri)
        assert consent.status_code == 200, consent.text
        assert "Unbekannte Prüfstelle" in consent.text
        assert "Familienname" in consent.text and "Mustermann" in consent.text
        assert "Geburtsdatum" not in consent.text  # not asked, not shown
        action = _FORM_ACTION.search(consent.text)
        assert action
        done = browser.submit(consent, action.group(1), action="zustimmen", acknowledge="ja")
        assert done.status_code == 200 and "Vorgezeigt bei" in done.text
        log = browser.get("/wallet/protokoll")
        assert "geteilt" in log.text and "Familienname" in log.text


@pytest.mark.ganache
def test_issuer_the_chain_does_not_trust_needs_a_second_confirmation(
    offline: Issuing, vw: CredWorld, tmp_path: Path
) -> None:
    for browser in _serve(
        tmp_path,
        known_issuers={offline.issuer: "Ordnungsamt"},
        status=vw.status,
        trust=vw.trust,
        clock=offline.clock,  # the offline issuer's clock: its proofs must not be "future"
    ):
        _set_up(browser)
        claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
        created = offline.offer(claims, ctype=DOG, tx_code="731902")
        form = browser.get("/wallet/empfangen")
        preview = browser.submit(form, "/wallet/empfangen", offer=str(created["offer_uri"]))
        action = _FORM_ACTION.search(preview.text)
        assert action
        warned = browser.submit(
            preview, action.group(1), action="annehmen", tx_code="731902", acknowledge="ja"
        )
        assert warned.status_code == 409 and "Vertrauensregister" in warned.text
        assert browser.wallet.credentials() == []
        kept = browser.submit(
            warned,
            action.group(1),
            action="annehmen",
            tx_code="731902",
            acknowledge="ja",
            accept_untrusted="ja",
        )
        assert kept.status_code == 303
        [card] = browser.wallet.credentials()
        assert any("Vertrauensregister" in w for w in card.warnings)
        assert "Mit Warnung gespeichert" in browser.get("/wallet/").text


def test_the_card_page_shows_german_labels_and_values(offline: Issuing, tmp_path: Path) -> None:
    for browser in _serve(tmp_path, known_issuers={offline.issuer: "Ordnungsamt"}):
        _set_up(browser)
        claims = _samples.dog_permit(date.today()).model_dump(mode="json")
        created = offline.offer(claims, ctype=DOG, tx_code="731902")
        form = browser.get("/wallet/empfangen")
        preview = browser.submit(form, "/wallet/empfangen", offer=str(created["offer_uri"]))
        action = _FORM_ACTION.search(preview.text)
        assert action
        browser.submit(
            preview, action.group(1), action="annehmen", tx_code="731902", acknowledge="ja"
        )
        [card] = browser.wallet.credentials()
        page = browser.get(f"/wallet/nachweis/{card.id}")
        assert "Halter/in" in page.text and "Maulkorb: nein, Leine: nein" in page.text
        assert "keeper" not in page.text and "_sd_alg" not in page.text
