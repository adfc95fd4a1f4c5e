"""The issuer console's security checks over real HTTP, with the verifier's "Login mit
BürgerID" behind it: citizen pages only for logins at level substanziell or higher (and
records only for logins of at least the level that made them), one credential per
permit, the login bound to the browser that began it, rate limits on self-registration
and pending logins, body caps before parsing, and activation codes for officials and
landlords."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govchain.chain.types import LevelOfAssurance
from govchain.cli import app as cli
from govchain.credentials.status import RandomIndexAllocator
from govchain.issuer._models import (
    ApplicationRow,
    EnrolmentRow,
    LoginRow,
    OfferRow,
    RateEventRow,
)
from govchain.issuer.console import Console
from tests.credentials.conftest import CredWorld
from tests.issuer._console_env import Citizen, Env, citizen, problem, start_env, text_of
from tests.issuer.conftest import Wallet, oauth_error
from tests.verifier.conftest import vw

__all__ = ["vw"]

pytestmark = pytest.mark.ganache

LOW, SUBST, HIGH = LevelOfAssurance.LOW, LevelOfAssurance.SUBSTANTIAL, LevelOfAssurance.HIGH
VERA = citizen("Vera", "Opfer", date(1988, 8, 8), HIGH)  # the victim
OLGA = citizen("Olga", "Ordnung", date(1980, 5, 6), SUBST)
BERND = citizen("Bernd", "Bürger", date(1985, 3, 4), SUBST)
LEVEL_REFUSAL = "Für diese Seite ist eine Anmeldung mit BürgerID ab Niveau substanziell nötig."
REGISTRATIONS_PER_CLIENT = 3


@pytest.fixture(scope="module")
def env(vw: CredWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from start_env(
        vw,
        tmp_path_factory.mktemp("security"),
        issuer_registration_per_client_per_minute=REGISTRATIONS_PER_CLIENT,
        issuer_registration_per_minute=REGISTRATIONS_PER_CLIENT + 1,
        issuer_login_pending_per_client=12,
    )


@pytest.fixture(scope="module")
def officials(env: Env) -> dict[str, httpx.Client]:
    browsers = {}
    for name, person, office in (
        ("olga", OLGA, "ordnungsamt-aachen"),
        ("bernd", BERND, "buergeramt-aachen"),
    ):
        _, code = env.console.add_official(
            office=office,
            role="leitung",
            given_name=person.given_name,
            family_name=person.family_name,
            birth_date=person.birth_date.isoformat(),
            registered_by="admin",
        )
        browsers[name] = env.official_login(person, code)
    return browsers


def dog_form(env: Env) -> dict[str, str]:
    return {
        "role": "keeper",
        "dog_name": "Luna",
        "breed": "Bullterrier",
        "category": "listed",
        "sex": "female",
        "birth_year": "2022",
        "chip_number": "276098106500001",
        "insurer": "Rheinland Versicherung",
        "policy_number": "HV-1",
        "insured_until": (env.vw.today() + timedelta(days=400)).isoformat(),
    }


def approved(env: Env, who: httpx.Client, olga: httpx.Client) -> str:
    made = env.post(who, "/issuer/antraege/neu/hund", dog_form(env))
    assert made.status_code == 303, made.text
    app_id = made.headers["location"].rsplit("/", 1)[1]
    page = f"/issuer/konsole/antraege/{app_id}"
    assert env.post(olga, f"{page}/genehmigen", {}, page=page).status_code == 303
    return app_id


def offer_of(env: Env, browser: httpx.Client, app_id: str) -> tuple[str, str]:
    """The application's offer link and the newest transaction code in the Postfach."""
    page = browser.get(f"/issuer/antraege/{app_id}").text
    link = re.search(r'id="angebot-link" href="([^"]+)"', page)
    code = re.search(
        r"Ihr Transaktionscode lautet: (\d{6})", text_of(browser.get("/issuer/postfach"))
    )
    assert link and code, page
    return link.group(1).replace("&amp;", "&"), code.group(1)


def self_registration(given: str, family: str, born: str) -> dict[str, str]:
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": born,
        "birth_place": "Aachen",
        "street": "Markt",
        "house_number": "1",
        "postal_code": "52062",
        "city": "Aachen",
    }


# --- C1/M3: a Basisregistrierung opens no citizen page ------------------------------------


def test_a_self_registered_buergerid_in_the_victims_name_opens_none_of_her_pages(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    vera = env.login(VERA, niveau="hoch")
    app_id = approved(env, vera, officials["olga"])
    console_page = text_of(officials["olga"].get(f"/issuer/konsole/antraege/{app_id}"))
    assert "Anmeldeniveau beim Antrag hoch" in " ".join(console_page.split())  # M3

    # the attacker registers a BürgerID (level low) with Vera's data: that still works
    anyone = env.browser()
    reg = "/issuer/buergerid/registrierung"
    form = self_registration(VERA.given_name, VERA.family_name, VERA.birth_date.isoformat())
    made = env.post(anyone, reg, form, page=reg)
    assert made.status_code == 201 and 'id="angebot-link"' in made.text
    # ... and logs in with it: every citizen page is refused (403, German and English)
    fake = env.login(Citizen(VERA.given_name, VERA.family_name, VERA.birth_date, LOW, VERA.key))
    for path in (
        "/issuer/antraege",
        f"/issuer/antraege/{app_id}",
        "/issuer/postfach",
        "/issuer/antraege/neu/hund",
        "/issuer/vermieter",
        "/issuer/aktivierung",
    ):
        text = problem(fake.get(path), 403)["text"]
        assert LEVEL_REFUSAL in text and "level substanziell or higher" in text, path
    mine = f"/issuer/antraege/{app_id}"
    for path, data in (
        ("/issuer/antraege/neu/hund", dog_form(env)),
        (f"{mine}/neues-angebot", {}),
        (f"{mine}/didcomm", {"wallet_did": "did:key:z6Mkx"}),
    ):
        assert LEVEL_REFUSAL in problem(env.post(fake, path, data), 403)["text"], path
    upload = fake.post(
        f"{mine}/unterlagen",
        data={"csrf_token": env.csrf(fake)},
        files={"dokument": ("a.pdf", b"%PDF-1.7\n")},
    )
    assert LEVEL_REFUSAL in problem(upload, 403)["text"]
    assert "Basisregistrierung" in fake.get("/issuer/").text  # the start page says why

    # a login below the application's level (same person, substanziell) does not see it
    lower = env.login(VERA.at(SUBST), niveau="substanziell")
    problem(lower.get(mine), 404)
    assert app_id not in lower.get("/issuer/antraege").text
    assert "Transaktionscode" not in text_of(lower.get("/issuer/postfach"))
    # Vera at her level sees it all
    assert 'id="angebot-qr"' in vera.get(mine).text
    assert "Ihr Transaktionscode lautet" in text_of(vera.get("/issuer/postfach"))
    with Session(env.console.issuer.engine) as session:
        row = session.get(ApplicationRow, app_id)
        assert row is not None and row.level == int(HIGH)


# --- H1: one permit, one credential --------------------------------------------------------


def test_a_new_offer_only_once_the_old_one_is_dead_and_never_a_second_credential(
    env: Env, officials: dict[str, httpx.Client]
) -> None:
    ana = env.login(citizen("Ana", "Einmal", date(1999, 9, 9), SUBST), niveau="substanziell")
    app_id = approved(env, ana, officials["olga"])
    mine = f"/issuer/antraege/{app_id}"
    renew = f"{mine}/neues-angebot"
    assert "kein neues Angebot" in problem(env.post(ana, renew, {}, page=mine), 409)["text"]

    # blocked by wrong codes: a new offer is allowed
    uri, tx_code = offer_of(env, ana, app_id)
    wallet = Wallet(env.issuing.client)
    code = wallet.code_of(wallet.resolve(uri))
    for _ in range(env.issuing.settings.issuer_tx_code_max_attempts):
        oauth_error(
            wallet.token_response(code, "000000" if tx_code != "000000" else "111111"),
            400,
            "invalid_grant",
        )
    assert env.post(ana, renew, {}, page=mine).status_code == 303

    # the new offer is redeemed (token, no credential yet): no further offer
    uri, tx_code = offer_of(env, ana, app_id)
    wallet = Wallet(env.issuing.client)
    token = wallet.token(wallet.code_of(wallet.resolve(uri)), tx_code)
    assert "kein neues Angebot" in problem(env.post(ana, renew, {}, page=mine), 409)["text"]
    assert 'id="angebot-in-arbeit"' in ana.get(mine).text

    # an offer made beside it the way the old renewal did (still redeemable): once the
    # first credential is issued, the other token gets none
    with Session(env.console.issuer.engine) as session:
        app = session.get(ApplicationRow, app_id)
        assert app is not None
        session.expunge(app)
    console: Console = env.console
    office = console.settings.office(app.office)
    assert office is not None and app.decision is not None
    console._offer_for(app, None, office, json.loads(app.decision))
    uri2, tx_code2 = offer_of(env, ana, app_id)
    second = Wallet(env.issuing.client)
    token2 = second.token(second.code_of(second.resolve(uri2)), tx_code2)
    proof = wallet.proof(wallet.nonce(), env.url, env.vw.now())
    body = {
        "credential_configuration_id": "dangerous_dog_permit_sd_jwt",
        "proofs": {"jwt": [proof]},
    }
    assert wallet.credential_response(token, body).status_code == 200
    proof2 = second.proof(second.nonce(), env.url, env.vw.now())
    body2 = {
        "credential_configuration_id": "dangerous_dog_permit_sd_jwt",
        "proofs": {"jwt": [proof2]},
    }
    refused = oauth_error(
        second.credential_response(token2, body2), 400, "credential_request_denied"
    )
    assert "bereits ein Nachweis" in refused["detail_de"]
    with Session(env.console.issuer.engine) as session:
        offers = list(session.scalars(select(OfferRow).where(OfferRow.application_id == app_id)))
    assert len(offers) == 3 and sum(o.state == "issued" for o in offers) == 1


# --- H2: the login belongs to the browser that began it ----------------------------------


def test_a_login_finished_in_another_browser_opens_no_session(env: Env) -> None:
    attacker = env.browser()
    start = attacker.get("/issuer/anmeldung", params={"ziel": "/issuer/", "niveau": "substanziell"})
    assert start.status_code == 303
    pre = next(c for c in attacker.cookies.jar if c.name.startswith("govchain_issuer_login_"))
    assert pre.has_nonstandard_attr("HttpOnly")
    authorize = attacker.get(start.headers["location"])
    page_url = urljoin(str(authorize.url), authorize.headers["location"])
    env.present_login(attacker.get(page_url).text, citizen("Mal", "Lory", date(1970, 1, 1), SUBST))
    done = attacker.get(page_url)
    assert done.status_code == 303
    callback = done.headers["location"]  # the attacker sends this link to the victim
    victim = env.browser()
    refused = victim.get(callback)
    text = problem(refused, 400)["text"]
    assert "nicht in diesem Browser begonnen" in text and "not started in this browser" in text
    assert "govchain_issuer_session" not in victim.cookies
    assert "govchain_issuer_session" not in refused.headers.get("set-cookie", "")


# --- H3: self-registration is rate-limited, one credential per offer ----------------------


def test_self_registration_is_rate_limited_and_its_offer_grants_one_credential(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    reg = "/issuer/buergerid/registrierung"
    browser = env.browser()
    with Session(env.console.issuer.engine) as session, session.begin():
        session.execute(delete(RateEventRow))  # the other tests' registrations
    with Session(env.console.issuer.engine) as session:
        before = session.scalar(select(func.count()).select_from(EnrolmentRow))
    links = []
    for n in range(REGISTRATIONS_PER_CLIENT):
        made = env.post(
            browser, reg, self_registration("Sam", f"Skript{n}", "2001-01-01"), page=reg
        )
        assert made.status_code == 201, made.text
        links.append(re.search(r'id="angebot-link" href="([^"]+)"', made.text))
    with caplog.at_level(logging.WARNING, logger="govchain.issuer.console"):
        refused = env.post(
            browser, reg, self_registration("Sam", "Skript9", "2001-01-01"), page=reg
        )
    text = problem(refused, 429)["text"]
    assert "Zu viele Registrierungen" in text and "Too many registrations" in text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "rate limit registrierung reached" in caplog.text
    with Session(env.console.issuer.engine) as session:
        after = session.scalar(select(func.count()).select_from(EnrolmentRow))
    assert after == (before or 0) + REGISTRATIONS_PER_CLIENT  # the refusal left nothing

    # its offer grants one credential: a batch of two proofs is refused
    assert links[0]
    wallet = Wallet(env.issuing.client)
    token = wallet.token(wallet.code_of(wallet.resolve(links[0].group(1).replace("&amp;", "&"))))
    other = Wallet(env.issuing.client)
    proofs = [
        wallet.proof(wallet.nonce(), env.url, env.vw.now()),
        other.proof(other.nonce(), env.url, env.vw.now()),
    ]
    body = {"credential_configuration_id": "citizen_id_sd_jwt", "proofs": {"jwt": proofs}}
    refused_batch = oauth_error(
        wallet.credential_response(token, body), 400, "invalid_credential_request"
    )
    assert "höchstens 1" in refused_batch["detail_de"]
    assert (
        wallet.credential_response(token, {**body, "proofs": {"jwt": proofs[:1]}}).status_code
        == 200
    )


def test_a_status_list_running_low_is_warned_about(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    service = env.console.issuer
    small = RandomIndexAllocator(env.list_uri, 20)
    for _ in range(19):
        small.allocate()
    saved = service._allocator
    service._allocator, service._next_capacity_check = small, 0.0
    try:
        with caplog.at_level(logging.WARNING, logger="govchain.issuer.service"):
            share = service.check_status_capacity()
    finally:
        service._allocator, service._next_capacity_check = saved, 0.0
    assert share == pytest.approx(0.05)
    assert "only 5.0 % of its 20 entries are left" in caplog.text


# --- M1: bodies are capped before anything parses them -----------------------------------


def test_large_bodies_are_refused_before_parsing_and_token_takes_no_multipart(env: Env) -> None:
    browser = env.browser()
    big = browser.post(
        "/issuer/buergerid/registrierung",
        content=b"a=" + b"x" * 100_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    text = problem(big, 413)["text"]
    assert "größer als 64 KiB" in text and "larger than 64 KiB" in text

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streamed
        for _ in range(100):
            yield b"x" * 4096

    streamed = browser.post(
        "/issuer/antraege/neu/hund",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    problem(streamed, 413)
    upload_cap = env.issuing.settings.issuer_upload_max_bytes + 64 * 1024
    huge = browser.post(
        "/issuer/antraege/x/unterlagen",
        content=b"x" * (upload_cap + 1),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    problem(huge, 413)
    multipart = env.issuing.client.post(
        "/token",
        files={"grant_type": (None, "urn:ietf:params:oauth:grant-type:pre-authorized_code")},
    )
    body = oauth_error(multipart, 400, "invalid_request")
    assert "application/x-www-form-urlencoded" in body["error_description"]


# --- M2: officials and landlords are bound by a one-time code -----------------------------


def test_an_official_is_bound_only_with_the_activation_code(
    env: Env, officials: dict[str, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCHAIN_DATA_DIR", str(env.issuing.settings.data_dir))
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "issuer",
            "official",
            "add",
            "--office",
            "ordnungsamt-aachen",
            "--role",
            "leitung",
            "--given-name",
            "Pia",
            "--family-name",
            "Pflicht",
            "--birth-date",
            "1977-07-07",
        ],
    )
    assert added.exit_code == 0, added.output
    found = re.search(
        r"Aktivierungscode \(nur jetzt angezeigt / shown only now\): (\S+)", added.output
    )
    assert found
    code = found.group(1)
    official_id = added.output.split()[0]
    # a counter official enrols a substanziell BürgerID in Pia's name and logs in with it:
    # without the code the entry stays unbound
    pia = env.login(citizen("Pia", "Pflicht", date(1977, 7, 7), SUBST), niveau="substanziell")
    assert pia.get("/issuer/konsole").headers["location"] == "/issuer/aktivierung"
    assert 'id="aktivierung"' in pia.get("/issuer/").text
    limit = env.issuing.settings.issuer_activation_max_attempts
    for n in range(limit):
        wrong = env.activate(pia, "AAAA-BBBB-CCCC-DDDD")
        text = problem(wrong, 422)["text"]
        assert "Aktivierungscode ist falsch" in text
        if n < limit - 1:
            assert f"noch {limit - n - 1} Versuche" in text
    # used up: even the right code is refused now
    assert "neuen Code" in problem(env.activate(pia, code), 422)["text"]
    (row,) = [o for o in env.console.officials("ordnungsamt-aachen") if o.id == official_id]
    assert row.sub is None  # still unbound
    fresh = runner.invoke(cli, ["issuer", "official", "code", official_id])
    assert fresh.exit_code == 0, fresh.output
    new_code = fresh.output.rsplit(" ", 1)[1].strip()
    done = env.activate(pia, new_code.lower())  # case and dashes do not matter
    assert done.status_code == 303 and done.headers["location"] == "/issuer/konsole"
    assert pia.get("/issuer/konsole").status_code == 200
    again = runner.invoke(cli, ["issuer", "official", "code", official_id])
    assert again.exit_code == 1 and "bereits an eine BürgerID gebunden" in again.output


# --- L6: pending logins are capped ------------------------------------------------------


def test_pending_logins_are_capped_per_client(env: Env) -> None:
    browser = env.browser()
    limit = env.issuing.settings.issuer_login_pending_per_client
    try:
        with Session(env.console.issuer.engine) as session:
            pending = session.scalar(select(func.count()).select_from(LoginRow)) or 0
        for _ in range(limit - pending):
            assert browser.get("/issuer/anmeldung").status_code == 303
        refused = browser.get("/issuer/anmeldung")
        text = problem(refused, 429)["text"]
        assert "zu viele Anmeldungen begonnen" in text and "Too many logins" in text
        assert int(refused.headers["retry-after"]) > 0
        with Session(env.console.issuer.engine) as session:
            assert session.scalar(select(func.count()).select_from(LoginRow)) == limit
    finally:
        with Session(env.console.issuer.engine) as session, session.begin():
            session.execute(delete(LoginRow))
