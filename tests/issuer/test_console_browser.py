"""The console in a real headless Chromium: an official logs in with "Login mit
BürgerID" (the test wallet presents behind the verifier's login page, which refreshes
itself back to the issuer), opens a citizen's application and approves it; the citizen,
logged in in a second browser context, sees the offer's QR code (the tx code is not on
that page). Screenshots go to $GOVCHAIN_TEST_ARTIFACTS when set."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect

from govchain.chain.types import LevelOfAssurance
from tests.citizen_wallet.test_browser_flow import artifacts_dir, chromium, needs_chromium
from tests.issuer._console_env import Citizen, Env, citizen, env
from tests.issuer.test_console import dog_form
from tests.verifier.conftest import vw

__all__ = ["env", "vw"]

pytestmark = [pytest.mark.ganache, needs_chromium]

KARL = citizen("Karl", "Kontrolle", date(1979, 9, 9), LevelOfAssurance.SUBSTANTIAL)
MAX = citizen("Max", "Muster", date(1992, 6, 1), LevelOfAssurance.SUBSTANTIAL)


def browser_login(env: Env, page: Page, who: Citizen, path: str) -> None:
    """Log in in the browser: the login page's QR link goes to the test wallet."""
    page.goto(f"{env.url}{path}")
    expect(page.locator("body")).to_contain_text("Login mit BürgerID bei")
    env.present_login(page.content(), who)
    page.wait_for_url(f"{env.url}{path}", timeout=10_000)  # by the page's own refresh


def test_an_official_approves_and_the_offer_qr_code_appears(env: Env, tmp_path: Path) -> None:
    shots = artifacts_dir(tmp_path)
    _, code = env.console.add_official(
        office="ordnungsamt-aachen",
        role="sachbearbeitung",
        given_name=KARL.given_name,
        family_name=KARL.family_name,
        birth_date=KARL.birth_date.isoformat(),
        registered_by="admin",
    )
    applicant = env.login(MAX)
    created = env.post(applicant, "/issuer/antraege/neu/hund", dog_form(env))
    assert created.status_code == 303
    app_id = created.headers["location"].rsplit("/", 1)[1]

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
        context.set_default_timeout(10_000)
        official = context.new_page()
        # the first login: the one-time activation code binds the entry to Karl's BürgerID
        browser_login(env, official, KARL, "/issuer/aktivierung")
        official.get_by_label("Aktivierungscode").fill(code)
        official.get_by_role("button", name="Aktivieren").click()
        expect(official.locator("h1")).to_have_text("Anträge")
        official.screenshot(path=shots / "issuer-01-konsole.png", full_page=True)
        official.get_by_role("link", name=f"Erlaubnis für gefährliche Hunde ({app_id})").click()
        expect(official.locator("#stand")).to_have_text("eingereicht")
        official.screenshot(path=shots / "issuer-02-antrag.png", full_page=True)
        official.get_by_role("button", name="Genehmigen").click()
        expect(official.locator("#stand")).to_have_text("genehmigt")
        official.screenshot(path=shots / "issuer-03-genehmigt.png", full_page=True)

        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
        phone.set_default_timeout(10_000)
        citizen_page = phone.new_page()
        browser_login(env, citizen_page, MAX, f"/issuer/antraege/{app_id}")
        expect(citizen_page.locator("#angebot-qr svg")).to_be_visible()
        link = citizen_page.locator("#angebot-link").get_attribute("href")
        assert link and link.startswith("openid-credential-offer://")
        assert "Transaktionscode lautet" not in citizen_page.content()
        citizen_page.screenshot(path=shots / "issuer-04-qr-390x844.png", full_page=True)
        citizen_page.goto(f"{env.url}/issuer/postfach")
        expect(citizen_page.locator("main")).to_contain_text("Ihr Transaktionscode lautet")
        citizen_page.screenshot(path=shots / "issuer-05-postfach-390x844.png", full_page=True)
