"""The ASK's German pages over real HTTP, as a browser uses them: development sign-in by
cookie, the questionnaire with CSRF protection and errors beside their fields, the
catalogue, the archivist's review, the evaluation page and the export links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.platform.ask.conftest import Running, Tenant, entry

DASH = "\N{EN DASH}"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def _browser(server: Running, identity: str) -> Iterator[httpx.Client]:
    """A client signed in through the development sign-in page, keeping its cookies."""
    with server.client() as client:
        yield _signed_in(client, identity)


def _signed_in(client: httpx.Client, identity: str) -> httpx.Client:
    response = client.get(
        "/ask/dev-anmeldung", params={"kennung": identity, "weiter": "/ask/eintraege/neu"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ask/eintraege/neu"
    assert "httponly" in response.headers["set-cookie"].lower()
    return client


def _token(page: httpx.Response) -> str:
    match = TOKEN.search(page.text)
    assert match, page.text
    return match.group(1)


def _form(**overrides: Any) -> dict[str, str]:
    """The questionnaire as a browser posts it: strings, empty for unanswered fields."""
    body = entry(**overrides)
    return {k: "" if v is None else str(v) for k, v in body.items()}


def _total(client: httpx.Client) -> int:
    match = re.search(r'data-total="(\d+)"', client.get("/ask/katalog").text)
    assert match
    return int(match.group(1))


def test_fill_in_the_questionnaire_and_find_the_entry_in_the_catalogue(tenant: Tenant) -> None:
    with _browser(tenant.server, tenant.official) as browser:
        page = browser.get("/ask/eintraege/neu")
        assert page.status_code == 200
        assert "Fragebogen: neue Aktenstruktur" in page.text
        assert 'lang="de"' in page.text and "Aktenplankennzeichen" in page.text
        assert page.headers["x-frame-options"] == "DENY"
        token = _token(page)
        assert browser.cookies.get("govchain_ask_csrf", path="/ask") == token
        assert "samesite=strict" in page.headers["set-cookie"].lower()

        saved = browser.post(
            "/ask/eintraege/neu",
            data={**_form(volume_amount="2,5", title="Gefährliche Hunde"), "csrf_token": token},
        )
        assert saved.status_code == 303, saved.text
        detail = browser.get(saved.headers["location"])
        assert f"32.10.05 {DASH} Gefährliche Hunde" in detail.text
        assert "2,5 lfm pro Jahr" in detail.text and 'data-state="draft"' in detail.text

        catalogue = browser.get("/ask/katalog", params={"q": "hunde", "medium": "hybrid"})
        assert 'data-total="1"' in catalogue.text and "Gefährliche Hunde" in catalogue.text
        assert "/ask/export.csv?q=hunde&amp;medium=hybrid" in catalogue.text
        none = browser.get("/ask/katalog", params={"q": "hunde", "medium": "paper"})
        assert 'data-total="0"' in none.text and "Keine Aktenstrukturen gefunden" in none.text

        csv = browser.get("/ask/export.csv", params={"q": "hunde"})
        assert csv.content.startswith(b"\xef\xbb\xbfKennung;Aktenplankennzeichen;")
        assert browser.get("/ask/export.json").json()["tenant"] == tenant.name

        signed_out = browser.post("/ask/dev-abmeldung", data={"csrf_token": token})
        assert signed_out.status_code == 303
        assert browser.get("/ask/katalog").status_code == 401


def test_form_posts_without_a_valid_csrf_token_are_refused(tenant: Tenant) -> None:
    with _browser(tenant.server, tenant.official) as browser:
        token = _token(browser.get("/ask/eintraege/neu"))
        missing = browser.post("/ask/eintraege/neu", data=_form())
        assert missing.status_code == 403
        assert 'data-problem="csrf-missing"' in missing.text
        assert "Sicherheitstoken des Formulars fehlt" in missing.text

        wrong = browser.post("/ask/eintraege/neu", data={**_form(), "csrf_token": token + "x"})
        assert wrong.status_code == 403 and 'data-problem="csrf-invalid"' in wrong.text

        # A planted cookie equal to the field, but not signed by the service.
        forged = "planted.0000"
        browser.cookies.set("govchain_ask_csrf", forged, path="/ask")
        planted = browser.post("/ask/eintraege/neu", data={**_form(), "csrf_token": forged})
        assert planted.status_code == 403 and 'data-problem="csrf-invalid"' in planted.text

        # The cookie alone (a cross-site post carries no field) is not enough either.
        browser.cookies.set("govchain_ask_csrf", token, path="/ask")
        alone = browser.post("/ask/eintraege/neu", data=_form())
        assert 'data-problem="csrf-missing"' in alone.text
        assert _total(browser) == 0  # nothing was written


def test_invalid_answers_come_back_with_german_messages_beside_the_fields(tenant: Tenant) -> None:
    with _browser(tenant.server, tenant.official) as browser:
        token = _token(browser.get("/ask/eintraege/neu"))
        answer = _form(title="", volume_amount="-3", medium="cd", retention_years="130")
        page = browser.post("/ask/eintraege/neu", data={**answer, "csrf_token": token})
        assert page.status_code == 422
        assert "Bitte korrigieren Sie 4 Angaben" in page.text
        assert '<p class="fehler" id="fehler-title">Titel ist ein Pflichtfeld</p>' in page.text
        assert "Jahresumfang darf nicht negativ sein (angegeben: &#39;-3&#39;)" in page.text
        assert "Aufbewahrungsfrist darf höchstens 120 sein" in page.text
        assert 'id="volume_amount" name="volume_amount" aria-invalid="true"' in page.text
        assert 'value="32.10.05"' in page.text  # what was typed is kept
        assert _total(browser) == 0

        saved = browser.post("/ask/eintraege/neu", data={**_form(), "csrf_token": token})
        assert saved.status_code == 303
        again = browser.post("/ask/eintraege/neu", data={**_form(), "csrf_token": token})
        assert again.status_code == 409
        assert "ist in Ihrem Mandanten bereits erfasst" in again.text
        assert _total(browser) == 1


def test_submit_review_and_evaluate_on_the_pages(tenant: Tenant, other_tenant: Tenant) -> None:
    with (
        _browser(tenant.server, tenant.official) as official,
        _browser(tenant.server, tenant.archivist) as archivist,
        _browser(tenant.server, other_tenant.official) as stranger,
    ):
        token = _token(official.get("/ask/eintraege/neu"))
        location = official.post("/ask/eintraege/neu", data={**_form(), "csrf_token": token})
        detail_url = location.headers["location"]
        eid = detail_url.rsplit("/", 1)[1]

        edit = official.get(f"{detail_url}/bearbeiten")
        assert 'value="2,5"' in edit.text and "bearbeiten" in edit.text
        changed = official.post(
            f"{detail_url}/bearbeiten",
            data={**_form(title="Hundeerlaubnisse"), "csrf_token": _token(edit)},
        )
        assert changed.status_code == 303
        page = official.get(detail_url)
        assert "Beim Archiv einreichen" in page.text and "Bewertung speichern" not in page.text
        submitted = official.post(f"{detail_url}/einreichen", data={"csrf_token": _token(page)})
        assert submitted.status_code == 303

        # The official cannot review; the foreign tenant cannot even see the entry.
        refused = official.post(
            f"{detail_url}/bewerten",
            data={"csrf_token": _token(page), "archival_value": "yes"},
        )
        assert refused.status_code == 403 and 'data-problem="role-required"' in refused.text
        foreign = stranger.get(detail_url)
        assert foreign.status_code == 404 and "Nicht gefunden" in foreign.text
        assert "Hundeerlaubnisse" not in foreign.text

        review_page = archivist.get(detail_url)
        assert "Bewertung speichern" in review_page.text and "Zurückgeben" in review_page.text
        reviewed = archivist.post(
            f"{detail_url}/bewerten",
            data={
                "csrf_token": _token(review_page),
                "archival_value": "yes",
                "note": "Vollständig übernehmen",
            },
        )
        assert reviewed.status_code == 303
        final = archivist.get(detail_url)
        assert 'data-state="reviewed"' in final.text and "archivwürdig" in final.text
        assert "Vollständig übernehmen" in final.text

        evaluation = official.get("/ask/auswertung", params={"year": "2026"})
        assert evaluation.status_code == 200
        assert '<strong id="anzahl">1</strong>' in evaluation.text
        assert "Zur Aussonderung fällig im Jahr 2026" in evaluation.text
        assert f'href="/ask/eintraege/{eid}">32.10.05 {DASH} Hundeerlaubnisse' in evaluation.text
        assert "Ins Archiv zu übernehmen: 2,5 lfm" in evaluation.text
        assert "100 %" in evaluation.text
        bad_year = official.get("/ask/auswertung", params={"year": "zwanzig"})
        assert bad_year.status_code == 422 and "Jahr muss eine ganze Zahl sein" in bad_year.text


def test_pages_ask_for_sign_in_and_refuse_foreign_redirects(dev_server: Running) -> None:
    with dev_server.client() as anonymous:
        page = anonymous.get("/ask/katalog")
        assert page.status_code == 401 and "Anmeldung erforderlich" in page.text
        assert 'href="/ask/dev-anmeldung?weiter=/ask/katalog"' in page.text
        form = anonymous.get("/ask/dev-anmeldung")
        assert form.status_code == 200 and "Nur für die Entwicklung" in form.text
        bad = anonymous.get("/ask/dev-anmeldung", params={"kennung": "Aachen!"})
        assert bad.status_code == 400 and 'data-problem="dev-identity-malformed"' in bad.text
        escape = anonymous.get(
            "/ask/dev-anmeldung",
            params={"kennung": "aachen/anna", "weiter": "https://evil.example/ask/"},
        )
        assert escape.headers["location"] == "/ask/katalog"
        assert anonymous.get("/ask").headers["location"] == "/ask/katalog"
