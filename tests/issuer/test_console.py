"""The officials' console and the citizens' pages over real HTTP: login through the
verifier's "Login mit BürgerID", roles per office, CSRF, the application's states,
documents, approval with a QR code and a separate tx code, issuance by OID4VCI,
suspension and revocation on chain (read back by the verifier's status check), BürgerID
enrolment at three levels, and the landlord's confirmation."""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govchain.chain.types import CredentialStatus, LevelOfAssurance
from govchain.cli import app
from govchain.credentials import PolicyContext, VerificationRequest, present_credential
from govchain.issuer._models import (
    ApplicationRow,
    CredentialRow,
    DocumentRow,
    EnrolmentRow,
)
from tests.credentials.conftest import AUDIENCE, CredWorld
from tests.issuer._console_env import Env, citizen, env, problem, text_of
from tests.verifier.conftest import vw

__all__ = ["env", "vw"]

pytestmark = pytest.mark.ganache

LOW, SUBST, HIGH = LevelOfAssurance.LOW, LevelOfAssurance.SUBSTANTIAL, LevelOfAssurance.HIGH
ANA = citizen("Ana", "Silva", date(1996, 2, 3), SUBST)
OLGA = citizen("Olga", "Ordnung", date(1980, 5, 6), SUBST)  # Ordnungsamt, Sachbearbeitung
LEA = citizen("Lea", "Leitung", date(1975, 1, 2), HIGH)  # Ordnungsamt, Leitung
BERND = citizen("Bernd", "Bürger", date(1985, 3, 4), SUBST)  # Bürgeramt, Sachbearbeitung
WERNER = citizen("Werner", "Wohnung", date(1960, 7, 8), SUBST)  # landlord
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def officials(env: Env) -> dict[str, httpx.Client]:
    """The officials, registered by the admin and logged in (binding their sub)."""
    console = env.console
    browsers = {}
    for name, person, office, role in (
        ("olga", OLGA, "ordnungsamt-aachen", "sachbearbeitung"),
        ("lea", LEA, "ordnungsamt-aachen", "leitung"),
        ("bernd", BERND, "buergeramt-aachen", "sachbearbeitung"),
    ):
        _, code = console.add_official(
            office=office,
            role=role,
            given_name=person.given_name,
            family_name=person.family_name,
            birth_date=person.birth_date.isoformat(),
            registered_by="admin",
        )
        browsers[name] = env.official_login(person, code)
    return browsers


def dog_form(env: Env) -> dict[str, str]:
    today = env.vw.today()
    return {
        "role": "keeper",
        "dog_name": "Bella",
        "breed": "Staffordshire Bullterrier",
        "category": "listed",
        "sex": "female",
        "birth_year": "2021",
        "chip_number": "276098106543210",
        "insurer": "Rheinland Versicherung",
        "policy_number": "HV-2231-77",
        "insured_until": (today + timedelta(days=400)).isoformat(),
    }


def payload(credential: str) -> dict[str, object]:
    """The issuer-signed JWT's payload (the claims that are never selectively disclosed)."""
    body = credential.split("~", maxsplit=1)[0].split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def apply(env: Env, browser: httpx.Client, kind: str, form: dict[str, str]) -> str:
    response = env.post(browser, f"/issuer/antraege/neu/{kind}", form)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def test_login_gives_a_lax_httponly_session_and_the_console_only_to_officials(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    start = env.browser().get("/issuer/konsole")
    assert start.status_code == 303  # to the login, asking for substanziell
    assert start.headers["location"].startswith("/issuer/anmeldung?ziel=%2Fissuer%2Fkonsole")
    ana = env.login(ANA.at(LOW))
    cookie = next(c for c in ana.cookies.jar if c.name == "govchain_issuer_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/issuer"
    page = ana.get("/issuer/")
    assert "Angemeldet: Ana Silva" in page.text
    problem(ana.get("/issuer/konsole"), 403)
    # the development header is no way into the console
    dev = env.browser().get(
        "/issuer/konsole", headers={"X-Govchain-Dev-Official": "ordnungsamt-aachen/olga"}
    )
    assert dev.status_code == 303
    # an official logged in below substanziell is refused
    weak = env.login(OLGA.at(LOW))
    assert "mindestens auf Niveau" in problem(weak.get("/issuer/konsole"), 403)["text"]
    assert officials["olga"].get("/issuer/konsole").status_code == 200
    # a forged state is refused
    forged = env.browser().get("/issuer/anmeldung/rueckkehr", params={"state": "x", "code": "y"})
    assert "Anmeldung ist fehlgeschlagen" in problem(forged, 400)["text"]


def test_application_review_approval_issuance_and_status_on_chain(  # noqa: PLR0915 one story
    env: Env, officials: dict[str, httpx.Client], vw: CredWorld
) -> None:
    ana = env.login(ANA)
    app_id = apply(env, ana, "hund", dog_form(env))
    olga, lea, bernd = officials["olga"], officials["lea"], officials["bernd"]
    # only the Ordnungsamt sees it
    assert app_id in olga.get("/issuer/konsole").text
    assert app_id not in bernd.get("/issuer/konsole").text
    problem(bernd.get(f"/issuer/konsole/antraege/{app_id}"), 404)
    page = f"/issuer/konsole/antraege/{app_id}"
    refused = env.post(bernd, f"{page}/genehmigen", {}, page="/issuer/konsole")
    problem(refused, 404)

    # Unterlagen nachfordern → the citizen uploads → back to review
    asked = env.post(
        olga, f"{page}/nachfordern", {"nachricht": "Bitte Sachkundenachweis."}, page=page
    )
    assert asked.status_code == 303
    mine = f"/issuer/antraege/{app_id}"
    assert "Bitte Sachkundenachweis." in ana.get("/issuer/postfach").text
    token = env.csrf(ana, mine)
    upload = f"{mine}/unterlagen"
    too_big = ana.post(
        upload,
        data={"csrf_token": token},
        files={
            "dokument": ("gross.pdf", PDF + b"0" * env.issuing.settings.issuer_upload_max_bytes)
        },
    )
    assert too_big.status_code == 413
    wrong = ana.post(
        upload, data={"csrf_token": token}, files={"dokument": ("a.html", b"<html></html>")}
    )
    assert wrong.status_code == 415 and "PDF, PNG oder JPEG" in wrong.text
    stored = ana.post(
        upload, data={"csrf_token": token}, files={"dokument": ("sachkunde.pdf", PDF)}
    )
    assert stored.status_code == 303
    again = ana.post(upload, data={"csrf_token": token}, files={"dokument": ("noch.pdf", PDF)})
    assert again.status_code == 409  # nothing was requested any more
    with Session(env.issuing.app.state.issuer.engine) as session:
        [doc] = session.scalars(select(DocumentRow).where(DocumentRow.application_id == app_id))
    assert doc.size == len(PDF) and doc.content_type == "application/pdf"
    download = olga.get(f"/issuer/konsole/dokumente/{doc.id}")
    assert download.content == PDF
    problem(bernd.get(f"/issuer/konsole/dokumente/{doc.id}"), 404)

    # Genehmigen → QR on the citizen's page, the tx code only in the Postfach
    approved = env.post(olga, f"{page}/genehmigen", {}, page=page)
    assert approved.status_code == 303
    twice = env.post(olga, f"{page}/genehmigen", {}, page=page)
    assert "kann nicht" in problem(twice, 409)["text"]
    citizen_page = ana.get(mine)
    assert 'id="angebot-qr"' in citizen_page.text and "<svg" in citizen_page.text
    offer_uri = re.search(r'id="angebot-link" href="([^"]+)"', citizen_page.text)
    assert offer_uri
    postfach = text_of(ana.get("/issuer/postfach"))
    tx_code = re.search(r"Ihr Transaktionscode lautet: (\d{6})", postfach)
    assert tx_code
    assert tx_code.group(1) not in citizen_page.text
    uri = offer_uri.group(1).replace("&amp;", "&")
    credential = env.redeem(uri, tx_code.group(1), "dangerous_dog_permit_sd_jwt")
    assert "Nachweis übernommen" in ana.get(mine).text
    assert "Der Code wurde verwendet" in ana.get("/issuer/postfach").text

    # status: Sachbearbeitung may not; Leitung with a reason; on chain at once
    with Session(env.issuing.app.state.issuer.engine) as session:
        app = session.get(ApplicationRow, app_id)
        assert app is not None
        [row] = session.scalars(select(CredentialRow).where(CredentialRow.offer_id == app.offer_id))
    action = f"/issuer/konsole/nachweise/{row.id}/status"
    listing = "/issuer/konsole/nachweise"
    refused = env.post(olga, action, {"aktion": "suspend", "begruendung": "x"}, page=listing)
    assert "Leitung" in problem(refused, 403)["text"]
    no_reason = env.post(lea, action, {"aktion": "suspend", "begruendung": " "}, page=listing)
    problem(no_reason, 422)
    problem(env.post(bernd, action, {"aktion": "suspend", "begruendung": "x"}, page=listing), 403)

    def chain_status() -> CredentialStatus:
        return vw.status.status(row.status_list_uri, row.status_index)

    def verify() -> bool:
        nonce = secrets.token_urlsafe(12)
        presentation = present_credential(
            credential,
            disclose=[("holder", "family_name"), ("insurance", "valid_until")],
            holder_key=env.wallet_key,
            nonce=nonce,
            audience=AUDIENCE,
            issued_at=vw.now(),
        )
        result = vw.verifier.verify(
            presentation,
            VerificationRequest(nonce=nonce, audience=AUDIENCE, context=PolicyContext()),
        )
        return result.valid

    assert chain_status() is CredentialStatus.VALID and verify()
    block = vw.gateway.block_number()
    reason = {"aktion": "suspend", "begruendung": "Versicherung ruht"}
    assert env.post(lea, action, reason, page=listing).status_code == 303
    assert chain_status() is CredentialStatus.SUSPENDED and not verify()
    assert vw.gateway.block_number() == block + 1  # one transaction, one block
    assert "vorläufig gesperrt" in lea.get(listing).text
    back = {"aktion": "reinstate", "begruendung": "Versicherung nachgewiesen"}
    assert env.post(lea, action, back, page=listing).status_code == 303
    assert chain_status() is CredentialStatus.VALID and verify()
    revoke = {"aktion": "revoke", "begruendung": "Hund abgegeben"}
    assert env.post(lea, action, revoke, page=listing).status_code == 303
    assert chain_status() is CredentialStatus.REVOKED and not verify()
    final = env.post(lea, action, back, page=listing)
    assert "widerrufen" in problem(final, 409)["text"]

    service = env.issuing.app.state.issuer
    events = [r.event for r in service.audit_log()]
    for event in ("credential_suspended", "credential_reinstated", "credential_revoked"):
        assert event in events
    assert service.verify_audit_chain()
    assert all(r.anchor_state == "submitted" for r in service.audit_log())
    revoked = next(r for r in service.audit_log() if r.event == "credential_revoked")
    assert json.loads(revoked.body)["reason"] == "Hund abgegeben"


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    ana = env.login(ANA)
    person = env.console.person(ana.cookies["govchain_issuer_session"])
    assert person is not None
    before = len(env.console.my_applications(person))
    missing = ana.post("/issuer/antraege/neu/hund", data=dog_form(env))
    assert "Sicherheitsmerkmal" in problem(missing, 403)["text"]
    env.csrf(ana)
    forged = ana.post("/issuer/antraege/neu/hund", data={**dog_form(env), "csrf_token": "a.b"})
    problem(forged, 403)
    assert len(env.console.my_applications(person)) == before
    # an invalid form is refused with German problems and leaves nothing
    bad = env.post(ana, "/issuer/antraege/neu/hund", {**dog_form(env), "chip_number": "12"})
    assert "Chipnummer: 15 Ziffern" in problem(bad, 422)["text"]
    assert len(env.console.my_applications(person)) == before


def test_street_music_application_and_another_citizens_application_stays_hidden(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    ana = env.login(ANA)
    today = env.vw.today()
    app_id = apply(
        env,
        ana,
        "strassenmusik",
        {
            "instruments": "Gitarre, Gesang",
            "zone_markt": "ja",
            "date_from": today.isoformat(),
            "date_to": (today + timedelta(days=30)).isoformat(),
        },
    )
    other = env.login(citizen("Tom", "Anders", date(1990, 1, 1), SUBST))
    problem(other.get(f"/issuer/antraege/{app_id}"), 404)
    upload = other.post(
        f"/issuer/antraege/{app_id}/unterlagen",
        data={"csrf_token": env.csrf(other)},
        files={"dokument": ("x.pdf", PDF)},
    )
    problem(upload, 404)
    page = f"/issuer/konsole/antraege/{app_id}"
    assert env.post(officials["olga"], f"{page}/genehmigen", {}, page=page).status_code == 303
    assert 'id="angebot-qr"' in ana.get(f"/issuer/antraege/{app_id}").text


def test_buergerid_enrolment_at_three_levels(env: Env, officials: dict[str, httpx.Client]) -> None:
    form = {
        "given_name": "Mia",
        "family_name": "Neu",
        "birth_date": "2000-04-05",
        "birth_place": "Aachen",
        "street": "Markt",
        "house_number": "1",
        "postal_code": "52062",
        "city": "Aachen",
        "nationalities": "DE",
    }
    anyone = env.browser()
    page = env.post(
        anyone, "/issuer/buergerid/registrierung", form, page="/issuer/buergerid/registrierung"
    )
    assert page.status_code == 201 and "<svg" in page.text
    link = re.search(r'id="angebot-link" href="([^"]+)"', page.text)
    assert link
    low = env.redeem(link.group(1).replace("&amp;", "&"), None, "citizen_id_sd_jwt")
    assert payload(low)["level_of_assurance"] == 1

    bernd, olga = officials["bernd"], officials["olga"]
    counter = "/issuer/konsole/registrierung"
    refused = env.post(
        olga, counter, {**form, "evidence": "eid_online_ausweis"}, page="/issuer/konsole"
    )
    assert "keine BürgerID" in problem(refused, 403)["text"]
    high = env.post(bernd, counter, {**form, "evidence": "eid_online_ausweis"}, page=counter)
    assert high.status_code == 201 and "<svg" in high.text
    code = re.search(
        r"Transaktionscode zum Aushändigen: (\d{6})", bernd.get("/issuer/postfach").text
    )
    assert code and code.group(1) not in high.text
    link = re.search(r'id="angebot-link" href="([^"]+)"', high.text)
    assert link
    high_id = env.redeem(link.group(1).replace("&amp;", "&"), code.group(1), "citizen_id_sd_jwt")
    assert payload(high_id)["level_of_assurance"] == 3
    subst = env.post(bernd, counter, {**form, "evidence": "personalausweis_vor_ort"}, page=counter)
    assert subst.status_code == 201
    with Session(env.issuing.app.state.issuer.engine) as session:
        rows = list(session.scalars(select(EnrolmentRow).order_by(EnrolmentRow.enrolled_at)))
    assert [(r.level, r.method, r.evidence) for r in rows[-3:]] == [
        (1, "self_registration", "selbstregistrierung"),
        (3, "eid_online", "eid_online_ausweis"),
        (2, "in_person_id_check", "personalausweis_vor_ort"),
    ]
    assert rows[-2].checked_by is not None and rows[-3].checked_by is None
    assert "citizen_enrolled" in [r.event for r in env.issuing.app.state.issuer.audit_log()]


def test_landlord_confirms_a_move_only_strongly_and_only_for_the_registered_dwelling(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    bernd = officials["bernd"]
    landlords = "/issuer/konsole/wohnungsgeber"
    address = {
        "street": "Jakobstraße",
        "house_number": "7",
        "postal_code": "52064",
        "city": "Aachen",
    }
    base = {f"landlord_{k}": v for k, v in address.items()} | {"is_owner": "ja"}
    codes: dict[str, str] = {}
    for person, dwelling_number in (
        (WERNER, "7a"),
        (citizen("Ute", "Andere", date(1970, 1, 1), SUBST), "9"),
    ):
        form = {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birth_date": person.birth_date.isoformat(),
            **base,
            **{f"dwelling_{k}": v for k, v in address.items()},
            "dwelling_house_number": dwelling_number,
        }
        registered = env.post(bernd, landlords, form, page=landlords)
        assert registered.status_code == 201, registered.text
        found = re.search(r'id="aktivierungscode">([A-Z0-9-]+)<', registered.text)
        assert found
        codes[person.given_name] = found.group(1)
    problem(env.post(officials["olga"], landlords, form, page="/issuer/konsole"), 403)
    rows = env.console.office_landlords(
        env.console.official(env.console.person(bernd.cookies["govchain_issuer_session"]))
    )
    werner_row = next(r for r in rows if r.given_name == "Werner")
    other_row = next(r for r in rows if r.given_name == "Ute")
    confirm = {
        "event": "move_in",
        "event_date": env.vw.today().isoformat(),
        "resident_given_name_1": "Ana",
        "resident_family_name_1": "Silva",
    }
    weak = env.login(WERNER.at(LOW))
    refused = env.post(weak, f"/issuer/vermieter/{werner_row.id}/bestaetigen", confirm)
    assert "substanziell" in problem(refused, 403)["text"]
    werner = env.login(WERNER, niveau="substanziell", ziel="/issuer/vermieter")
    assert "Jakobstraße 7a" not in werner.get("/issuer/vermieter").text  # not yet activated
    assert env.activate(werner, codes["Werner"]).headers["location"] == "/issuer/vermieter"
    assert "Jakobstraße 7a" in werner.get("/issuer/vermieter").text
    foreign = env.post(werner, f"/issuer/vermieter/{other_row.id}/bestaetigen", confirm)
    assert "nicht als Wohnungsgeber eingetragen" in problem(foreign, 403)["text"]
    made = env.post(werner, f"/issuer/vermieter/{werner_row.id}/bestaetigen", confirm)
    assert made.status_code == 201 and "<svg" in made.text
    code = re.search(r"Mieter: (\d{6})", text_of(werner.get("/issuer/postfach")))
    assert code and code.group(1) not in made.text
    link = re.search(r'id="angebot-link" href="([^"]+)"', made.text)
    assert link
    credential = env.redeem(
        link.group(1).replace("&amp;", "&"), code.group(1), "landlord_confirmation_sd_jwt"
    )
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    offer = json.loads(query["credential_offer"][0])
    assert offer["credential_configuration_ids"] == ["landlord_confirmation_sd_jwt"]
    assert payload(credential)["landlord_identity_loa"] == 2


def test_rejection_needs_a_reason_reaches_the_postfach_and_is_final(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    ana = env.login(ANA)
    app_id = apply(env, ana, "hund", dog_form(env))
    olga, bernd = officials["olga"], officials["bernd"]
    page = f"/issuer/konsole/antraege/{app_id}"
    assert 'id="ablehnen"' in olga.get(page).text
    assert (
        "Begründung der Ablehnung"
        in problem(env.post(olga, f"{page}/ablehnen", {"begruendung": "  "}, page=page), 422)[
            "text"
        ]
    )
    problem(env.post(bernd, f"{page}/ablehnen", {"begruendung": "x"}, page="/issuer/konsole"), 404)
    problem(olga.post(f"{page}/ablehnen", data={"begruendung": "ohne Token"}), 403)
    assert "eingereicht" in olga.get(page).text  # nothing changed
    reason = "Kein Nachweis der Sachkunde trotz Nachforderung."
    assert env.post(olga, f"{page}/ablehnen", {"begruendung": reason}, page=page).status_code == 303
    postfach = text_of(ana.get("/issuer/postfach"))
    assert "Antrag abgelehnt" in postfach and reason in postfach
    mine = text_of(ana.get(f"/issuer/antraege/{app_id}"))
    assert "abgelehnt" in mine and reason in mine
    assert "kann nicht" in problem(env.post(olga, f"{page}/genehmigen", {}, page=page), 409)["text"]
    again = env.post(olga, f"{page}/ablehnen", {"begruendung": reason}, page=page)
    problem(again, 409)
    service = env.issuing.app.state.issuer
    decided = [
        json.loads(r.body)
        for r in service.audit_log()
        if r.event == "application_decided" and r.subject_id == app_id
    ]
    assert decided == [decided[0]] and decided[0]["decision"] == "rejected"
    assert decided[0]["reason"] == reason and decided[0]["by"].startswith("ordnungsamt-aachen/")
    assert service.verify_audit_chain()


def test_official_deactivated_by_the_cli_loses_the_console_at_once(
    env: Env, officials: dict[str, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    dora = citizen("Dora", "Dienst", date(1971, 9, 9), SUBST)
    row, code = env.console.add_official(
        office="ordnungsamt-aachen",
        role="sachbearbeitung",
        given_name=dora.given_name,
        family_name=dora.family_name,
        birth_date=dora.birth_date.isoformat(),
        registered_by="admin",
    )
    browser = env.official_login(dora, code)
    monkeypatch.setenv("GOVCHAIN_DATA_DIR", str(env.issuing.settings.data_dir))
    runner = CliRunner()
    done = runner.invoke(app, ["issuer", "official", "deactivate", row.id])
    assert done.exit_code == 0, done.output
    assert row.id in done.output and "deaktiviert" in done.output
    assert "Nur eingetragene" in problem(browser.get("/issuer/konsole"), 403)["text"]
    again = runner.invoke(app, ["issuer", "official", "deactivate", row.id])
    assert again.exit_code == 1 and "bereits deaktiviert" in again.output
    unknown = runner.invoke(app, ["issuer", "official", "deactivate", "nobody"])
    assert unknown.exit_code == 1 and "gibt es nicht" in unknown.output
    listed = runner.invoke(app, ["issuer", "official", "list", "--office", "ordnungsamt-aachen"])
    assert f"{row.id}  ordnungsamt-aachen  sachbearbeitung  Dora Dienst  (deaktiviert)" in (
        listed.output
    )
    assert officials["olga"].get("/issuer/konsole").status_code == 200  # the others stay
    entries = [r for r in env.issuing.app.state.issuer.audit_log() if r.subject_id == row.id]
    assert [r.event for r in entries] == ["official_registered", "official_deactivated"]
    assert json.loads(entries[1].body)["by"] == "cli/admin"


def test_without_an_issuer_agent_there_is_no_didcomm_option_and_a_clear_503(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    ana = env.login(ANA)
    app_id = apply(env, ana, "hund", dog_form(env))
    page = f"/issuer/konsole/antraege/{app_id}"
    assert env.post(officials["olga"], f"{page}/genehmigen", {}, page=page).status_code == 303
    mine = f"/issuer/antraege/{app_id}"
    assert "Aries-Wallet" not in ana.get(mine).text
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    refused = env.post(ana, f"{mine}/didcomm", {"wallet_did": did}, page=mine)
    text = problem(refused, 503)["text"]
    assert "Aries-Wallet (DIDComm) ist bei diesem Amt nicht eingerichtet" in text
    assert "not set up" in text
    assert 'id="angebot-qr"' in ana.get(mine).text  # the OID4VCI offer is untouched
