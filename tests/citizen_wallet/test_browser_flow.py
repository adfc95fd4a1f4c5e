"""The web wallet end to end in a real headless Chromium at a phone's size (390x844),
driven over the Chrome DevTools Protocol by Playwright (Debian's /usr/bin/chromium, no
downloaded browser): set up, lock and unlock, receive a dangerous-dog permit from the
real issuer app by scanning (a screenshot of the office's offer page with its QR code
uploaded through the wallet's camera input; tx code), see the card, present it to the
real verifier's ``hund`` check on the consent page, see it in the log. Screenshots of
every step go to $GOVCHAIN_TEST_ARTIFACTS when set (else the test's tmp directory).

The helpers here are shared with ``tests/verifier/test_browser.py``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from govchain.citizen_wallet import WalletSettings, create_app
from govchain.credentials import _samples
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Issuing, Server
from tests.verifier.conftest import Running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = ViewportSize(width=390, height=844)
DOG = "dangerous_dog_permit_sd_jwt"
TX_CODE = "731902"
VERIFIER_NAME = "Ordnungsamt Aachen, Außendienst"

DOG_CLAIMS_DE = [
    "Erlaubnisnummer",
    "Rolle (Halter/Führende)",
    "Vorname",
    "Familienname",
    "Name des Hundes",
    "Rasse",
    "Befreiungen",
    "Versichert bis",
    "Gültig bis",
]
"""What the ``hund`` check asks for, in German, in the check's order."""

ALWAYS_VISIBLE_DE = {"Erlaubnisnummer", "Rolle (Halter/Führende)", "Befreiungen", "Gültig bis"}
"""Claims the dog permit never hides; the consent page marks them."""

DOG_VALUES_DE = ("Halter/in", "Maulkorb: nein, Leine: nein")
"""Values of the sample permit as the consent page shows them: in German, never raw."""

NOT_ASKED_DE = ("Geburtsdatum", "Chipnummer", "Anschrift")

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")
pytestmark = [pytest.mark.ganache, needs_chromium]


def artifacts_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GOVCHAIN_TEST_ARTIFACTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, driven over CDP."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def phone(browser: Browser) -> Page:
    """A fresh phone-sized page with its own cookies."""
    context = browser.new_context(viewport=PHONE, locale="de-DE")
    context.set_default_timeout(10_000)
    return context.new_page()


@contextmanager
def wallet_app(
    tmp_path: Path, chain_issuer: Issuing, vw: CredWorld, verifier_client_id: str
) -> Iterator[str]:
    """The web wallet on loopback, knowing the issuer and the verifier, reading status
    and trust from the chain; yields its base URL."""
    port = free_port()
    settings = WalletSettings(data_dir=tmp_path / "data", wallet_port=port)
    wallet = new_wallet(
        tmp_path / "w",
        known_issuers={chain_issuer.issuer: "Ordnungsamt"},
        known_verifiers={verifier_client_id: VERIFIER_NAME},
        status=vw.status,
        trust=vw.trust,
        clock=vw.now,
    )
    with Server(create_app(settings, wallet=wallet), port):
        yield f"http://127.0.0.1:{port}"


@dataclass
class WalletUI:
    """The citizen's hands on the wallet's pages."""

    page: Page
    url: str
    shots: Path
    prefix: str = "wallet"

    def shot(self, name: str) -> None:
        self.page.screenshot(path=self.shots / f"{self.prefix}-{name}-390x844.png")

    def body(self) -> str:
        return self.page.inner_text("body")

    def set_up(self) -> None:
        self.page.goto(f"{self.url}/wallet/")
        expect(self.page.locator("h2")).to_have_text("Brieftasche einrichten")
        self.page.fill("#pin", PIN)
        self.page.fill("#pin2", PIN)
        self.shot("01-einrichten")
        self.page.get_by_role("button", name="Einrichten").click()
        expect(self.page.locator("main")).to_contain_text("Noch keine Nachweise")

    def lock_and_unlock(self) -> None:
        self.page.get_by_role("button", name="Sperren").click()
        expect(self.page.locator("h2")).to_have_text("Brieftasche entsperren")
        self.page.fill("#pin", PIN)
        self.shot("02-entsperren")
        self.page.get_by_role("button", name="Entsperren").click()
        expect(self.page.locator("main")).to_contain_text("Noch keine Nachweise")

    def give(self, link_field: str, link: str | Path) -> None:
        """Paste a link, or (a Path) upload a photo of its QR code through the scan form,
        as the phone's camera would."""
        if isinstance(link, Path):
            scan = self.page.get_by_label("QR-Code scannen")
            assert scan.get_attribute("capture") == "environment"
            assert scan.get_attribute("accept") == "image/*"
            scan.set_input_files(link)
            self.shot("02b-scannen" if link_field == "#offer" else "04b-scannen")
            self.page.get_by_role("button", name="Code lesen").click()
        else:
            self.page.fill(link_field, link)
            self.page.get_by_role("button", name="Weiter").click()

    def receive(self, offer: str | Path) -> None:
        self.page.get_by_role("link", name="Empfangen").click()
        self.give("#offer", offer)
        main = self.page.locator("main")
        expect(main).to_contain_text("Angebot von Ordnungsamt")
        expect(main).to_contain_text("Erlaubnis für gefährliche Hunde")
        expect(main).to_contain_text("Transaktionscode")
        self.page.fill("#tx_code", TX_CODE)
        acknowledge = self.page.locator('input[name="acknowledge"]')
        if acknowledge.count():  # plain http on loopback is a warning to acknowledge
            acknowledge.check()
        self.shot("03-angebot")
        self.page.get_by_role("button", name="Annehmen").click()
        card = self.page.locator(".karte")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Erlaubnis für gefährliche Hunde")
        expect(card).to_contain_text("gültig")
        self.shot("04-karte")

    def present(self, request: str | Path, values_de: tuple[str, ...] = ()) -> None:
        self.page.goto(f"{self.url}/wallet/")
        self.page.get_by_role("link", name="Vorzeigen").click()
        self.give("#request", request)
        expect(self.page.locator("h2")).to_have_text(f"{VERIFIER_NAME} möchte sehen:")
        labels = self.page.locator("#angaben dt").all_inner_texts()
        assert labels == [
            f"{label} (immer sichtbar)" if label in ALWAYS_VISIBLE_DE else label
            for label in DOG_CLAIMS_DE
        ]
        shown = self.page.inner_text("#angaben")
        assert "Mustermann" in shown
        for value in (*DOG_VALUES_DE, *values_de):
            assert value in shown
        for raw in ("keeper", "muzzle", "{", '"'):
            assert raw not in shown
        for hidden in NOT_ASKED_DE:
            assert hidden not in shown
        acknowledge = self.page.locator('input[name="acknowledge"]')
        if acknowledge.count():
            acknowledge.check()
        self.shot("05-zustimmung")
        self.page.get_by_role("button", name="Zustimmen und teilen").click()
        expect(self.page.locator("#ergebnis")).to_contain_text("Vorgezeigt bei")
        self.shot("06-ergebnis")

    def check_log(self) -> None:
        self.page.goto(f"{self.url}/wallet/protokoll")
        entry = self.page.locator(".eintrag")
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(VERIFIER_NAME)
        expect(entry).to_contain_text("geteilt")
        expect(entry).to_contain_text("Familienname")
        self.shot("07-protokoll")


def dog_offer(chain_issuer: Issuing, vw: CredWorld, *, field: str = "offer_uri") -> str:
    """An offer link for the sample dog permit, with a tx code, from the real issuer
    (or, with ``field="page_url"``, the address of its German page with the QR code)."""
    claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
    created = chain_issuer.offer(claims, ctype=DOG, tx_code=TX_CODE)
    return str(created[field])


def photograph_qr(browser: Browser, url: str, photo: Path) -> Path:
    """A screenshot of another phone's screen showing a QR code at ``url`` (the
    office's offer page, the official's field check): what the camera sees."""
    screen = phone(browser)
    screen.goto(url)
    expect(screen.locator(".qr svg")).to_be_visible()
    screen.screenshot(path=photo)
    screen.context.close()
    return photo


def test_receive_and_present_a_dog_permit_on_a_phone(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    request = server.client.create_request("hund", {})
    with wallet_app(tmp_path, chain_issuer, vw, request.client_id) as url, chromium() as browser:
        ui = WalletUI(phone(browser), url, artifacts_dir(tmp_path))
        ui.set_up()
        ui.lock_and_unlock()
        offer_page = dog_offer(chain_issuer, vw, field="page_url")
        ui.receive(photograph_qr(browser, offer_page, ui.shots / "wallet-00-qr-amt-390x844.png"))
        valid_until = _samples.dog_permit(vw.today()).valid_until
        check_page = f"{server.url}/verifier/pruefungen/{request.request_id}"
        photo = photograph_qr(browser, check_page, ui.shots / "wallet-00-qr-kontrolle-390x844.png")
        ui.present(photo, (valid_until.strftime("%d.%m.%Y"),))
        ui.check_log()
    result = server.http.get(f"/verifier/v1/requests/{request.request_id}/result")
    assert result.status_code == 200 and result.json()["valid"] is True, result.text
