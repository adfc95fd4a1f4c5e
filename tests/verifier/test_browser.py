"""The official's field check end to end in a real headless Chromium (390x844), driven
over CDP by Playwright: the official picks "Gefährlicher Hund" on the verifier's page and
gets the QR code; the citizen's web wallet (a second browser context) receives a dog
permit from the real issuer app and presents it; the official's page turns, by its own
meta refresh, into the large green result with only the claims the check needs.
Screenshots go to $GOVCHAIN_TEST_ARTIFACTS when set (else the test's tmp directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import expect

from tests.citizen_wallet.conftest import chain_issuer
from tests.citizen_wallet.test_browser_flow import (
    DOG_CLAIMS_DE,
    NOT_ASKED_DE,
    WalletUI,
    artifacts_dir,
    chromium,
    dog_offer,
    needs_chromium,
    phone,
    wallet_app,
)
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Issuing
from tests.verifier.conftest import Running

__all__ = ["chain_issuer"]

pytestmark = [pytest.mark.ganache, needs_chromium]


def test_the_officials_dog_check_turns_green_on_the_page(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    shots = artifacts_dir(tmp_path)
    client_id = server.client.create_request("hund", {}).client_id
    with wallet_app(tmp_path, chain_issuer, vw, client_id) as url, chromium() as browser:
        official = phone(browser)
        official.goto(f"{server.url}/verifier/")
        expect(official.locator("h1")).to_have_text("Prüfung vor Ort")
        official.screenshot(path=shots / "verifier-01-start-390x844.png")
        dog = official.locator("form.check", has_text="Gefährlicher Hund")
        dog.get_by_role("button", name="Prüfung starten").click()
        expect(official.locator("main")).to_contain_text("Bitte mit der Wallet scannen")
        expect(official.locator(".qr svg")).to_be_visible()
        assert official.locator('meta[http-equiv="refresh"]').count() == 1
        official.screenshot(path=shots / "verifier-02-qr-390x844.png")
        link = official.get_by_role("link", name="Auf diesem Gerät öffnen")
        openid4vp_uri = link.get_attribute("href")
        assert openid4vp_uri and openid4vp_uri.startswith("openid4vp://")

        citizen = WalletUI(phone(browser), url, shots, prefix="verifier-wallet")
        citizen.set_up()
        citizen.receive(dog_offer(chain_issuer, vw))
        citizen.present(openid4vp_uri)

        verdict = official.locator("#verdict")
        expect(verdict).to_have_text("✓ Gültig", timeout=8_000)  # the page refreshes itself
        expect(verdict).to_have_attribute("data-outcome", "valid")
        expect(verdict).to_have_css("background-color", "rgb(23, 128, 61)")
        assert official.locator('meta[http-equiv="refresh"]').count() == 0
        assert official.locator("dl dt").all_inner_texts() == DOG_CLAIMS_DE
        shown = official.inner_text("dl")
        assert "Mustermann" in shown
        for hidden in NOT_ASKED_DE:
            assert hidden not in shown
        official.screenshot(path=shots / "verifier-03-gruen-390x844.png", full_page=True)
