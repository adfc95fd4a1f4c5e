"""The officials' field-check page in German: pick a check, show the QR code, then a
large green or red result with German reasons and only the claims the check needs."""

from __future__ import annotations

import html
import re

import pytest

from govchain.chain.types import CredentialStatus
from govchain.credentials import _samples
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import Running, issue, set_status

pytestmark = pytest.mark.ganache


def _start_on_page(server: Running, form: dict[str, str]) -> tuple[str, str]:
    started = server.http.post("/verifier/pruefungen", data=form)
    assert started.status_code == 303
    page_url = started.headers["location"]
    page = server.http.get(page_url)
    assert page.status_code == 200
    return page_url, page.text


def _link(page: str) -> str:
    found = re.search(r'href="(openid4vp://[^"]+)"', page)
    assert found is not None
    return html.unescape(found.group(1))


def test_the_start_page_offers_every_check(server: Running) -> None:
    page = server.http.get("/verifier/")
    assert page.status_code == 200
    assert '<html lang="de">' in page.text and 'name="viewport"' in page.text
    for label in ("Straßenmusik", "Gefährlicher Hund", "Wohnungsgeberbestätigung", "BürgerID"):
        assert label in page.text
    assert "<script" not in page.text


def test_a_green_street_music_check_on_the_page(server: Running, vw: CredWorld) -> None:
    page_url, page = _start_on_page(
        server, {"check": "strassenmusik", "zone": "markt", "instrument": ""}
    )
    assert "Straßenmusik, Zone markt" in page
    assert "<svg" in page and 'http-equiv="refresh"' in page and "<script" not in page
    request = _wallet.fetch_request(server.http, _link(page))
    permit = issue(vw, _samples.street_music_permit(vw.today()))
    _wallet.answer(server.http, request, permit.serialized, vw.holder, issued_at=vw.now())
    done = server.http.get(page_url).text
    assert 'data-outcome="valid"' in done and "Gültig" in done
    assert 'http-equiv="refresh"' not in done
    assert "Erlaubnisnummer" in done and "AC-SM-2026-0107" in done
    assert "Lena Klang, Mehmet Saite" in done
    for hidden in ("Gruppengröße", "Ausstellende Behörde", "Verstärker"):
        assert hidden not in done


def test_a_red_dog_check_on_the_page_gives_german_reasons(server: Running, vw: CredWorld) -> None:
    page_url, page = _start_on_page(server, {"check": "hund", "chip_number": _samples.CHIP})
    request = _wallet.fetch_request(server.http, _link(page))
    permit = issue(vw, _samples.dog_permit(vw.today()))
    set_status(vw, permit, CredentialStatus.REVOKED)
    _wallet.answer(server.http, request, permit.serialized, vw.holder, issued_at=vw.now())
    done = server.http.get(page_url).text
    assert 'data-outcome="invalid"' in done and "Nicht gültig" in done
    assert "widerrufen" in done
    assert "Chipnummer" in done  # asked for because a chip number was read
    assert "Geburtsdatum" not in done


def test_a_bad_form_gets_a_german_error_page(server: Running) -> None:
    response = server.http.post("/verifier/pruefungen", data={"check": "strassenmusik"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Die Angaben zur Prüfung" in response.text
    missing = server.http.get("/verifier/pruefungen/unbekannt")
    assert missing.status_code == 404 and "Es gibt keine Prüfanfrage" in missing.text
