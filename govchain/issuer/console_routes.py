"""HTTP of the console and the citizens' pages (German, server-rendered).

Thin: parse the form, check the anti-forgery token on every post, find the person from
the session cookie through typed dependencies, call one ``Console`` method, render or
redirect. The development header is never accepted here: only a BürgerID login counts.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from govchain.chain.types import LevelOfAssurance
from govchain.credentials.types import LOCAL_TIMEZONE
from govchain.issuer._models import OfficialRole, OfficialRow
from govchain.issuer.console import (
    COUNTER_EVIDENCE,
    FORM_LABELS_DE,
    KINDS,
    STATE_DE,
    VALUES_DE,
    ZONES,
    Console,
    Person,
    level_of,
    strong_person,
    type_name,
    vct_name,
)
from govchain.issuer.errors import (
    DidcommUnavailableError,
    DocumentRefusedError,
    NotFoundError,
)
from govchain.issuer.schemas import OfferCreated

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "SESSION_COOKIE", "console"]

SESSION_COOKIE = "govchain_issuer_session"
CSRF_COOKIE = "govchain_issuer_csrf"
CSRF_FIELD = "csrf_token"

console = APIRouter(prefix="/issuer", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(
    STATE_DE=STATE_DE,
    FORM_LABELS_DE=FORM_LABELS_DE,
    type_name=type_name,
    vct_name=vct_name,
    KINDS=KINDS,
    ZONES=ZONES,
    level_name=lambda level: LevelOfAssurance(int(level)).label_de,
)


def _value_de(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_value_de(v) for v in value) or "-"
    if isinstance(value, bool | str) and value in VALUES_DE:
        return VALUES_DE[value]
    return str(value) if value not in (None, "") else "-"


templates.env.filters.update(
    wert=_value_de,
    fromjson=json.loads,
    zeit=lambda t: datetime.fromtimestamp(int(t), LOCAL_TIMEZONE).strftime("%d.%m.%Y %H:%M"),
)
_NO_STORE = {"Cache-Control": "no-store"}


def _console(request: Request) -> Console:
    service: Console = request.app.state.console
    return service


ConsoleDep = Annotated[Console, Depends(_console)]


def _person(request: Request, service: ConsoleDep) -> Person | None:
    return service.person(request.cookies.get(SESSION_COOKIE))


CurrentPerson = Annotated[Person | None, Depends(_person)]


def _official(service: ConsoleDep, person: CurrentPerson) -> OfficialRow:
    return service.official(person)


CurrentOfficial = Annotated[OfficialRow, Depends(_official)]


def _qr(uri: str, title: str = "QR-Code des Nachweisangebots") -> str:
    # omitsize: no fixed width/height, so the SVG keeps its viewBox and scales with the page
    return segno.make(uri, error="m").svg_inline(scale=5, title=title, omitsize=True)


def render(
    request: Request,
    service: Console,
    template: str,
    context: dict[str, Any],
    *,
    person: Person | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page with the anti-forgery token in its forms and cookie."""
    token = service.csrf.token_for(request.cookies.get(CSRF_COOKIE))
    response = templates.TemplateResponse(
        request,
        template,
        {**context, "csrf_token": token, "person": person},
        status_code=status_code,
        headers=_NO_STORE,
    )
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=not service.settings.development,
        path="/issuer",
    )
    return response


async def _form(request: Request, service: Console) -> dict[str, str]:
    """The posted form's text fields, after the anti-forgery check."""
    form = await request.form()
    field = form.get(CSRF_FIELD)
    service.csrf.verify(request.cookies.get(CSRF_COOKIE), field if isinstance(field, str) else None)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=_NO_STORE)


# --- start, login, logout -----------------------------------------------------------------


@console.get("/", response_class=HTMLResponse)
def start(request: Request, service: ConsoleDep, person: CurrentPerson) -> HTMLResponse:
    """The start page: log in, or the ways on from here."""
    official = None
    dwellings = []
    activation = False
    if person is not None:
        official = next((o for o in service.officials() if o.sub == person.sub), None)
        dwellings = service.my_dwellings(person)
        activation = service.awaiting_activation(person)
    return render(
        request,
        service,
        "start.html",
        {"official": official, "dwellings": dwellings, "activation": activation},
        person=person,
    )


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else ""


@console.get("/anmeldung")
def login(
    request: Request, service: ConsoleDep, ziel: str | None = None, niveau: str | None = None
) -> RedirectResponse:
    """ "Login mit BürgerID": to the provider, asking for the level the page needs; a
    short-lived pre-login cookie ties the provider's answer to this browser."""
    start = service.begin_login(ziel or "/issuer/", level_of(niveau), _client(request))
    response = _see(start.authorization_url)
    response.set_cookie(
        start.cookie_name,
        start.binding,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=not service.settings.development,
        path="/issuer/anmeldung",
    )
    return response


@console.get("/anmeldung/rueckkehr")
async def login_return(request: Request, service: ConsoleDep) -> RedirectResponse:
    """The provider's redirect back: redeem the code (only in the browser that began
    the login), open a session."""
    query = dict(request.query_params)
    session_id, target = await run_in_threadpool(service.finish_login, query, dict(request.cookies))
    response = _see(target)
    response.delete_cookie(service.login_cookie(query.get("state", "")), path="/issuer/anmeldung")
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=service.settings.issuer_session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=not service.settings.development,
        path="/issuer",
    )
    return response


@console.post("/abmelden")
async def logout(request: Request, service: ConsoleDep, person: CurrentPerson) -> Response:
    """End the session."""
    await _form(request, service)
    if person is not None:
        service.logout(person)
    response = _see("/issuer/")
    response.delete_cookie(SESSION_COOKIE, path="/issuer")
    return response


# --- citizens: applications and Postfach --------------------------------------------------


def _citizen(person: Person | None) -> Person:
    """A citizen page's person: logged in at level substanziell or higher."""
    return strong_person(person)


@console.get("/antraege", response_class=HTMLResponse)
def my_applications(request: Request, service: ConsoleDep, person: CurrentPerson) -> HTMLResponse:
    """The citizen's applications."""
    me = _citizen(person)
    return render(
        request, service, "antraege.html", {"applications": service.my_applications(me)}, person=me
    )


@console.get("/antraege/neu/{kind}", response_class=HTMLResponse)
def application_form(
    request: Request, kind: str, service: ConsoleDep, person: CurrentPerson
) -> HTMLResponse:
    """The German application form (dog permit or street music)."""
    me = _citizen(person)
    if kind not in KINDS:
        raise NotFoundError("application form", "Dieses Antragsformular")
    return render(request, service, f"antrag_{kind}.html", {"form": {}}, person=me)


@console.post("/antraege/neu/{kind}")
async def submit_application(
    request: Request, kind: str, service: ConsoleDep, person: CurrentPerson
) -> Response:
    """Submit an application; on refusal the form comes back with the problems."""
    form = await _form(request, service)
    me = _citizen(person)
    row = await run_in_threadpool(service.submit_application, me, kind, form)
    return _see(f"/issuer/antraege/{row.id}")


@console.get("/antraege/{application_id}", response_class=HTMLResponse)
def my_application(
    request: Request, application_id: str, service: ConsoleDep, person: CurrentPerson
) -> HTMLResponse:
    """The citizen's application; once approved, the offer's QR code (no code here)."""
    me = _citizen(person)
    app = service.my_application(me, application_id)
    open_offer = service.offer_open(app)
    qr = _qr(app.offer_uri) if app.offer_uri and open_offer else None
    didcomm = service.didcomm.issuances(app.id)[:1] if service.didcomm is not None else []
    latest = didcomm[0] if didcomm else None
    invitation_qr = (
        _qr(latest.invitation_url, "QR-Code der Einladung für Ihre Aries-Wallet")
        if latest is not None and latest.state == "invited"
        else None
    )
    return render(
        request,
        service,
        "antrag.html",
        {
            "app": app,
            "qr": qr,
            "offer_open": open_offer,
            "documents": service.documents(app.id),
            "max_kib": service.settings.issuer_upload_max_bytes // 1024,
            "renewable": service.renewable(app),
            "didcomm_enabled": service.didcomm is not None,
            "didcomm": latest,
            "invitation_qr": invitation_qr,
        },
        person=me,
    )


@console.post("/antraege/{application_id}/didcomm")
async def choose_didcomm(
    request: Request, application_id: str, service: ConsoleDep, person: CurrentPerson
) -> Response:
    """ "Aries-Wallet (DIDComm)": an invitation at the issuer agent for this approved
    application; the credential follows once the wallet has connected."""
    form = await _form(request, service)
    me = _citizen(person)
    if service.didcomm is None:
        raise DidcommUnavailableError()
    await service.didcomm.start(me, application_id, form.get("wallet_did", ""))
    return _see(f"/issuer/antraege/{application_id}")


@console.post("/antraege/{application_id}/unterlagen")
async def upload(
    request: Request, application_id: str, service: ConsoleDep, person: CurrentPerson
) -> Response:
    """Upload a requested document (multipart)."""
    form = await request.form()
    field = form.get(CSRF_FIELD)
    service.csrf.verify(request.cookies.get(CSRF_COOKIE), field if isinstance(field, str) else None)
    me = _citizen(person)
    upload = form.get("dokument")
    if not isinstance(upload, UploadFile):
        raise DocumentRefusedError(422, "No document was sent.", "Es wurde kein Dokument gesendet.")
    data = await upload.read(service.settings.issuer_upload_max_bytes + 1)
    await run_in_threadpool(
        service.upload_document, me, application_id, upload.filename or "", data
    )
    return _see(f"/issuer/antraege/{application_id}")


@console.post("/antraege/{application_id}/neues-angebot")
async def renew(
    request: Request, application_id: str, service: ConsoleDep, person: CurrentPerson
) -> Response:
    """A new offer for an approved application whose offer lapsed."""
    await _form(request, service)
    await run_in_threadpool(service.renew_offer, _citizen(person), application_id)
    return _see(f"/issuer/antraege/{application_id}")


@console.get("/postfach", response_class=HTMLResponse)
def postfach(request: Request, service: ConsoleDep, person: CurrentPerson) -> HTMLResponse:
    """The person's messages: requests for documents and transaction codes."""
    me = _citizen(person)
    return render(request, service, "postfach.html", {"messages": service.messages(me)}, person=me)


# --- BürgerID self-registration ---------------------------------------------------------


@console.get("/buergerid/registrierung", response_class=HTMLResponse)
def self_registration_form(
    request: Request, service: ConsoleDep, person: CurrentPerson
) -> HTMLResponse:
    """ "Basisregistrierung": the form."""
    return render(
        request, service, "registrierung.html", {"counter": False, "evidence": {}}, person=person
    )


@console.post("/buergerid/registrierung", response_class=HTMLResponse)
async def self_registration(
    request: Request, service: ConsoleDep, person: CurrentPerson
) -> HTMLResponse:
    """ "Basisregistrierung": the BürgerID offer at level low, as a QR code."""
    form = await _form(request, service)
    created, _ = await run_in_threadpool(service.self_register, form, _client(request))
    return _offer_page(request, service, person, created, "BürgerID (Basisregistrierung)", None)


def _offer_page(
    request: Request,
    service: Console,
    person: Person | None,
    created: OfferCreated,
    title: str,
    code_hint: str | None,
) -> HTMLResponse:
    return render(
        request,
        service,
        "angebot_qr.html",
        {"title": title, "qr": _qr(created.offer_uri), "uri": created.offer_uri, "hint": code_hint},
        person=person,
        status_code=201,
    )


# --- landlords --------------------------------------------------------------------------


@console.get("/vermieter", response_class=HTMLResponse)
def landlord_page(request: Request, service: ConsoleDep, person: CurrentPerson) -> HTMLResponse:
    """The landlord's dwellings and the confirmation form."""
    me = _citizen(person)
    dwellings = [(d, d.dwelling) for d in service.my_dwellings(me)]
    return render(request, service, "vermieter.html", {"dwellings": dwellings}, person=me)


@console.post("/vermieter/{registration_id}/bestaetigen", response_class=HTMLResponse)
async def landlord_confirm(
    request: Request, registration_id: str, service: ConsoleDep, person: CurrentPerson
) -> HTMLResponse:
    """Issue a Wohnungsgeberbestätigung to a named tenant (QR here, code in the Postfach)."""
    form = await _form(request, service)
    created = await run_in_threadpool(service.confirm_move, person, registration_id, form)
    return _offer_page(
        request,
        service,
        person,
        created,
        "Wohnungsgeberbestätigung",
        "Den Transaktionscode für Ihre Mieterin oder Ihren Mieter finden Sie in Ihrem Postfach.",
    )


# --- the officials' console -------------------------------------------------------------


@console.get("/konsole", response_class=HTMLResponse)
def console_home(
    request: Request, service: ConsoleDep, person: CurrentPerson, official: CurrentOfficial
) -> HTMLResponse:
    """The office's applications."""
    office = service.settings.office(official.office)
    return render(
        request,
        service,
        "konsole.html",
        {
            "official": official,
            "office": office,
            "applications": service.office_applications(official),
        },
        person=person,
    )


@console.get("/konsole/antraege/{application_id}", response_class=HTMLResponse)
def console_application(
    request: Request,
    application_id: str,
    service: ConsoleDep,
    person: CurrentPerson,
    official: CurrentOfficial,
) -> HTMLResponse:
    """One application: its details, documents, the review actions, its credentials."""
    app = service.office_application(official, application_id)
    return render(
        request,
        service,
        "konsole_antrag.html",
        {
            "official": official,
            "app": app,
            "form": app.form,
            "documents": service.documents(app.id),
            "credentials": service.credentials_of_offer(app.offer_id),
            "leitung": official.role == OfficialRole.LEITUNG.value,
        },
        person=person,
    )


@console.post("/konsole/antraege/{application_id}/nachfordern")
async def console_request_documents(
    request: Request,
    application_id: str,
    service: ConsoleDep,
    official: CurrentOfficial,
) -> Response:
    """ "Unterlagen nachfordern" with a message to the citizen."""
    form = await _form(request, service)
    await run_in_threadpool(
        service.request_documents, official, application_id, form.get("nachricht", "")
    )
    return _see(f"/issuer/konsole/antraege/{application_id}")


@console.post("/konsole/antraege/{application_id}/genehmigen")
async def console_approve(
    request: Request,
    application_id: str,
    service: ConsoleDep,
    official: CurrentOfficial,
) -> Response:
    """ "Genehmigen": the offer goes to the citizen."""
    form = await _form(request, service)
    await run_in_threadpool(
        service.approve, official, application_id, form.get("gueltig_bis") or None
    )
    return _see(f"/issuer/konsole/antraege/{application_id}")


@console.post("/konsole/antraege/{application_id}/ablehnen")
async def console_reject(
    request: Request,
    application_id: str,
    service: ConsoleDep,
    official: CurrentOfficial,
) -> Response:
    """ "Ablehnen" with a reason the citizen reads in the Postfach."""
    form = await _form(request, service)
    await run_in_threadpool(service.reject, official, application_id, form.get("begruendung", ""))
    return _see(f"/issuer/konsole/antraege/{application_id}")


@console.get("/konsole/dokumente/{document_id}")
def console_document(document_id: str, service: ConsoleDep, official: CurrentOfficial) -> Response:
    """A document of an application of the office, as a download."""
    row, data = service.document(official, document_id)
    return Response(
        data,
        media_type=row.content_type,
        headers={
            **_NO_STORE,
            "Content-Disposition": f'attachment; filename="dokument-{row.id}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@console.get("/konsole/nachweise", response_class=HTMLResponse)
def console_credentials(
    request: Request, service: ConsoleDep, person: CurrentPerson, official: CurrentOfficial
) -> HTMLResponse:
    """The office's issued credentials with their status and the status actions."""
    return render(
        request,
        service,
        "nachweise.html",
        {
            "official": official,
            "credentials": service.office_credentials(official),
            "leitung": official.role == OfficialRole.LEITUNG.value,
        },
        person=person,
    )


@console.post("/konsole/nachweise/{credential_id}/status")
async def console_status(
    request: Request, credential_id: str, service: ConsoleDep, official: CurrentOfficial
) -> Response:
    """Suspend, reinstate or revoke with a reason (role leitung), on chain at once."""
    form = await _form(request, service)
    await run_in_threadpool(
        service.change_status,
        official,
        credential_id,
        form.get("aktion", ""),
        form.get("begruendung", ""),
    )
    return _see("/issuer/konsole/nachweise")


@console.get("/konsole/registrierung", response_class=HTMLResponse)
def counter_form(
    request: Request, service: ConsoleDep, person: CurrentPerson, official: CurrentOfficial
) -> HTMLResponse:
    """BürgerID at the counter: the form with the identity check's method."""
    return render(
        request,
        service,
        "registrierung.html",
        {"counter": True, "evidence": COUNTER_EVIDENCE, "official": official},
        person=person,
    )


@console.post("/konsole/registrierung", response_class=HTMLResponse)
async def counter_enrol(
    request: Request, service: ConsoleDep, person: CurrentPerson, official: CurrentOfficial
) -> HTMLResponse:
    """BürgerID at the counter: the offer as QR; the code goes to the official's Postfach
    (to be printed and handed over)."""
    form = await _form(request, service)
    created, _ = await run_in_threadpool(service.enrol_at_counter, official, form)
    return _offer_page(
        request,
        service,
        person,
        created,
        "BürgerID",
        "Den Transaktionscode finden Sie als Beleg zum Ausdrucken in Ihrem Postfach.",
    )


@console.get("/konsole/wohnungsgeber", response_class=HTMLResponse)
def console_landlords(
    request: Request, service: ConsoleDep, person: CurrentPerson, official: CurrentOfficial
) -> HTMLResponse:
    """Registered landlords and the registration form."""
    return render(
        request,
        service,
        "wohnungsgeber.html",
        {"official": official, "landlords": service.office_landlords(official)},
        person=person,
    )


@console.post("/konsole/wohnungsgeber", response_class=HTMLResponse)
async def console_register_landlord(
    request: Request, service: ConsoleDep, person: CurrentPerson, official: CurrentOfficial
) -> HTMLResponse:
    """Register a landlord for one dwelling; the one-time activation code is shown
    here once, to be handed to the landlord."""
    form = await _form(request, service)
    row, code = await run_in_threadpool(service.register_landlord, official, form)
    return render(
        request,
        service,
        "aktivierungscode.html",
        {"official": official, "who": f"{row.given_name} {row.family_name}", "code": code},
        person=person,
        status_code=201,
    )


# --- activation: the first login of an official or landlord -----------------------------


@console.get("/aktivierung", response_class=HTMLResponse)
def activation_form(request: Request, service: ConsoleDep, person: CurrentPerson) -> HTMLResponse:
    """The form for the one-time activation code (officials and landlords)."""
    me = _citizen(person)
    return render(request, service, "aktivierung.html", {}, person=me)


@console.post("/aktivierung")
async def activation(request: Request, service: ConsoleDep, person: CurrentPerson) -> Response:
    """Bind the registered row to this BürgerID with the one-time code."""
    form = await _form(request, service)
    row = await run_in_threadpool(service.activate, person, form.get("code", ""))
    return _see("/issuer/konsole" if isinstance(row, OfficialRow) else "/issuer/vermieter")
