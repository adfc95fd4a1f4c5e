"""HTTP of the ASK: the JSON API under ``/ask/v1`` and German pages under ``/ask``.

Thin, as everywhere: parse, identify the official through a typed dependency, call one
service method, answer. The API identifies officials by header only, so it needs no
CSRF defence; the pages also accept the development sign-in cookie, so every form post
carries a signed anti-forgery token (``VerifiedForm``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from govchain.platform.ask._csrf import CSRF_COOKIE, CSRF_FIELD
from govchain.platform.ask._german import de_number
from govchain.platform.ask._identity import DEV_COOKIE, DEV_HEADER, parse_dev_identity
from govchain.platform.ask.errors import (
    AskError,
    DuplicateFilePlanNumberError,
    FieldProblem,
    InvalidInputError,
    RoleRequiredError,
)
from govchain.platform.ask.schemas import (
    FIELD_LABELS_DE,
    CatalogueQuery,
    EntryEvent,
    EntryIn,
    EntryOut,
    EntryPage,
    Evaluation,
    EvaluationQuery,
    OfficialOut,
    ReturnIn,
    ReviewIn,
    form_fields,
    parse_input,
    parse_json,
)
from govchain.platform.ask.service import TRANSITIONS, AskService
from govchain.platform.ask.types import (
    ArchivalValue,
    EntryState,
    Medium,
    Official,
    RecordType,
    RetentionClass,
    RetentionTrigger,
    Role,
    Transition,
    VolumeUnit,
)

__all__ = ["error_page", "router"]

api = APIRouter(prefix="/ask/v1", tags=["ask"])
pages = APIRouter(prefix="/ask", include_in_schema=False)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


templates.env.filters["de_number"] = de_number
templates.env.globals.update(
    Medium=Medium,
    VolumeUnit=VolumeUnit,
    RecordType=RecordType,
    RetentionTrigger=RetentionTrigger,
    RetentionClass=RetentionClass,
    ArchivalValue=ArchivalValue,
    EntryState=EntryState,
    Role=Role,
    labels=FIELD_LABELS_DE,
    dev_header=DEV_HEADER,
)


# --- dependencies -------------------------------------------------------------------------


def _service(request: Request) -> AskService:
    service: AskService = request.app.state.ask
    return service


Service = Annotated[AskService, Depends(_service)]


def _api_official(request: Request, service: Service) -> Official:
    return service.identities.identify(request.headers.get(DEV_HEADER))


def _page_official(request: Request, service: Service) -> Official:
    return service.identities.identify(
        request.headers.get(DEV_HEADER), request.cookies.get(DEV_COOKIE)
    )


CurrentOfficial = Annotated[Official, Depends(_api_official)]
PageOfficial = Annotated[Official, Depends(_page_official)]


def _archivist(official: Official) -> Official:
    if official.role is not Role.ARCHIVIST:
        raise RoleRequiredError(Role.ARCHIVIST.value, Role.ARCHIVIST.label_de)
    return official


def _api_archivist(official: CurrentOfficial) -> Official:
    return _archivist(official)


def _page_archivist(official: PageOfficial) -> Official:
    return _archivist(official)


CurrentArchivist = Annotated[Official, Depends(_api_archivist)]
PageArchivist = Annotated[Official, Depends(_page_archivist)]


async def _verified_form(request: Request, service: Service) -> dict[str, str]:
    """The posted form's fields, once its anti-forgery token is checked."""
    form = await request.form()
    field = form.get(CSRF_FIELD)
    service.csrf.verify(request.cookies.get(CSRF_COOKIE), field if isinstance(field, str) else None)
    return form_fields(form)


VerifiedForm = Annotated[dict[str, str], Depends(_verified_form)]


def _catalogue_query(
    q: Annotated[str | None, Query(description="words in title, description, plan number")] = None,
    medium: Annotated[str | None, Query(description="paper, digital or hybrid")] = None,
    retention_class: Annotated[str | None, Query(description="0-5, 6-10, 11-30, 31-120")] = None,
    archival_value: Annotated[str | None, Query(description="yes, no, partial, pending")] = None,
    state: Annotated[str | None, Query(description="draft, submitted, reviewed")] = None,
    limit: Annotated[str | None, Query(description="1 to 500, default 100")] = None,
    offset: Annotated[str | None, Query(description="0 or more")] = None,
) -> CatalogueQuery:
    given = {
        "q": q,
        "medium": medium,
        "retention_class": retention_class,
        "archival_value": archival_value,
        "state": state,
        "limit": limit,
        "offset": offset,
    }
    return parse_input(CatalogueQuery, {k: v for k, v in given.items() if v})


def _year(
    year: Annotated[str | None, Query(description="handover year, default: this year")] = None,
) -> int | None:
    return parse_input(EvaluationQuery, {"year": year} if year else {}).year


Filters = Annotated[CatalogueQuery, Depends(_catalogue_query)]
Year = Annotated[int | None, Depends(_year)]


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined, to embed in the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _json_body[M: BaseModel](model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the body as ``model``, with English and German field errors."""

    async def body(request: Request) -> M:
        return parse_json(model, await request.body())

    return body


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline_refs(model.model_json_schema())}},
        }
    }


EntryBody = Annotated[EntryIn, Depends(_json_body(EntryIn))]
ReviewBody = Annotated[ReviewIn, Depends(_json_body(ReviewIn))]
ReturnBody = Annotated[ReturnIn, Depends(_json_body(ReturnIn))]


def _attachment(content: bytes, media_type: str, official: Official, suffix: str) -> Response:
    day = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="ask-{official.tenant}-{day}.{suffix}"'
        },
    )


# --- JSON API -----------------------------------------------------------------------------


@api.get("/me", response_model=OfficialOut)
def me(official: CurrentOfficial, service: Service) -> OfficialOut:
    """Who the ASK takes the caller for (tenant, name, role)."""
    return OfficialOut(
        tenant=official.tenant,
        name=official.name,
        role=official.role,
        development_identity=service.identities.development,
    )


@api.get("/entries", response_model=EntryPage)
def list_entries(official: CurrentOfficial, filters: Filters, service: Service) -> EntryPage:
    """Search the tenant's catalogue (words, medium, retention class, archival value, state)."""
    return service.search(official, filters)


@api.post(
    "/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=EntryOut,
    openapi_extra=_documented(EntryIn),
)
def create_entry(official: CurrentOfficial, body: EntryBody, service: Service) -> EntryOut:
    """Describe a file structure (a new draft)."""
    return service.create(official, body)


@api.get("/entries/{entry_id}", response_model=EntryOut)
def get_entry(entry_id: str, official: CurrentOfficial, service: Service) -> EntryOut:
    """One entry of the tenant."""
    return service.get(official, entry_id)


@api.put("/entries/{entry_id}", response_model=EntryOut, openapi_extra=_documented(EntryIn))
def update_entry(
    entry_id: str, official: CurrentOfficial, body: EntryBody, service: Service
) -> EntryOut:
    """Replace a draft's answers."""
    return service.update(official, entry_id, body)


@api.delete("/entries/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_entry(entry_id: str, official: CurrentOfficial, service: Service) -> Response:
    """Delete a draft."""
    service.delete(official, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@api.post("/entries/{entry_id}/submit", response_model=EntryOut)
def submit_entry(entry_id: str, official: CurrentOfficial, service: Service) -> EntryOut:
    """Hand a draft to the archive for review."""
    return service.transition(official, entry_id, Transition.SUBMIT)


@api.post(
    "/entries/{entry_id}/review", response_model=EntryOut, openapi_extra=_documented(ReviewIn)
)
def review_entry(
    entry_id: str, official: CurrentArchivist, body: ReviewBody, service: Service
) -> EntryOut:
    """The archivist assesses a submitted entry (archival value yes, no or partial)."""
    return service.transition(official, entry_id, Transition.REVIEW, body)


@api.post(
    "/entries/{entry_id}/return", response_model=EntryOut, openapi_extra=_documented(ReturnIn)
)
def return_entry(
    entry_id: str, official: CurrentArchivist, body: ReturnBody, service: Service
) -> EntryOut:
    """The archivist sends a submitted entry back to draft, saying what to correct."""
    return service.transition(official, entry_id, Transition.RETURN, body)


@api.get("/entries/{entry_id}/history", response_model=list[EntryEvent])
def entry_history(entry_id: str, official: CurrentOfficial, service: Service) -> list[EntryEvent]:
    """Who did what to the entry, oldest first."""
    return service.history(official, entry_id)


@api.get("/evaluation", response_model=Evaluation)
def evaluation(official: CurrentOfficial, year: Year, service: Service) -> Evaluation:
    """The catalogue by criteria, and what is due for handover to the archive in ``year``."""
    return service.evaluate(official, year)


@api.get("/export.csv", response_class=Response)
def export_csv(official: CurrentOfficial, filters: Filters, service: Service) -> Response:
    """The matching entries as CSV for German Excel (UTF-8 with BOM, ``;``)."""
    return _attachment(
        service.export_csv(official, filters), "text/csv; charset=utf-8", official, "csv"
    )


@api.get("/export.json", response_class=Response)
def export_json(official: CurrentOfficial, filters: Filters, service: Service) -> Response:
    """The matching entries as a JSON export document."""
    return _attachment(service.export_json(official, filters), "application/json", official, "json")


# --- pages --------------------------------------------------------------------------------


def _secure(request: Request, service: AskService) -> bool:
    return request.url.scheme == "https" or not service.identities.development


def _page(
    request: Request,
    service: AskService,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """A German page; it carries the anti-forgery token its forms post back."""
    token = service.csrf.token_for(request.cookies.get(CSRF_COOKIE))
    response = templates.TemplateResponse(
        request, template, {**context, "csrf_token": token}, status_code=status_code
    )
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, service),
        path="/ask",
    )
    _harden(response)
    return response


def _harden(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
    response.headers["Referrer-Policy"] = "same-origin"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def error_page(request: Request, err: AskError) -> HTMLResponse | None:
    """The German error page for a refused page request; ``None`` for the JSON API."""
    path = request.url.path
    if not path.startswith("/ask") or path.startswith("/ask/v1"):
        return None
    service: AskService = request.app.state.ask
    response = templates.TemplateResponse(
        request,
        "fehler.html",
        {
            "error": err,
            "official": None,
            "development": service.identities.development,
        },
        status_code=err.status,
    )
    _harden(response)
    return response


def _entry_values(entry: EntryOut) -> dict[str, str]:
    values = {k: "" if v is None else str(v) for k, v in entry.model_dump(mode="json").items()}
    values["volume_amount"] = de_number(entry.volume_amount)
    return values


def _form_page(
    request: Request,
    service: AskService,
    official: Official,
    values: dict[str, str],
    problems: tuple[FieldProblem, ...] = (),
    entry: EntryOut | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        service,
        "formular.html",
        {
            "official": official,
            "values": values,
            "problems": {p.field: p for p in problems},
            "problem_list": problems,
            "entry": entry,
        },
        status_code,
    )


def _query_string(filters: CatalogueQuery, **changes: object) -> str:
    data = {**filters.model_dump(mode="json", exclude_defaults=True), **changes}
    return urlencode({k: v for k, v in data.items() if v not in (None, "", 0)})


@pages.get("")
@pages.get("/")
def home() -> RedirectResponse:
    """The catalogue is the start page."""
    return _see_other("/ask/katalog")


@pages.get("/katalog", response_class=HTMLResponse)
def catalogue_page(
    request: Request, official: PageOfficial, filters: Filters, service: Service
) -> HTMLResponse:
    """Katalog: search and filter the tenant's file structures."""
    result = service.search(official, filters)
    return _page(
        request,
        service,
        "katalog.html",
        {
            "official": official,
            "filters": filters,
            "result": result,
            "export_query": _query_string(filters, limit=None, offset=None),
            "next_query": _query_string(filters, offset=filters.offset + filters.limit),
            "prev_query": _query_string(filters, offset=max(0, filters.offset - filters.limit)),
        },
    )


@pages.get("/eintraege/neu", response_class=HTMLResponse)
def new_entry_page(request: Request, official: PageOfficial, service: Service) -> HTMLResponse:
    """Fragebogen: describe a new file structure."""
    return _form_page(request, service, official, {"contact_name": official.name})


@pages.post("/eintraege/neu", response_class=HTMLResponse, response_model=None)
def create_entry_page(
    request: Request, form: VerifiedForm, official: PageOfficial, service: Service
) -> Response:
    """Save the questionnaire as a draft; errors are shown beside their fields."""
    try:
        entry = service.create(official, parse_input(EntryIn, form))
    except InvalidInputError as err:
        return _form_page(request, service, official, form, err.problems, status_code=err.status)
    except DuplicateFilePlanNumberError as err:
        problem = FieldProblem("file_plan_number", err.message, err.message_de)
        return _form_page(request, service, official, form, (problem,), status_code=err.status)
    return _see_other(f"/ask/eintraege/{entry.id}")


@pages.get("/eintraege/{entry_id}", response_class=HTMLResponse)
def entry_page(
    entry_id: str, request: Request, official: PageOfficial, service: Service
) -> HTMLResponse:
    """One entry with its history and the actions its state allows."""
    entry = service.get(official, entry_id)
    allowed = [
        t
        for t, rule in TRANSITIONS.items()
        if rule.source is entry.state and rule.role in (None, official.role)
    ]
    return _page(
        request,
        service,
        "eintrag.html",
        {
            "official": official,
            "entry": entry,
            "history": service.history(official, entry_id),
            "allowed": allowed,
            "Transition": Transition,
        },
    )


@pages.get("/eintraege/{entry_id}/bearbeiten", response_class=HTMLResponse)
def edit_entry_page(
    entry_id: str, request: Request, official: PageOfficial, service: Service
) -> HTMLResponse:
    """Fragebogen with a draft's answers."""
    entry = service.get(official, entry_id)
    return _form_page(request, service, official, _entry_values(entry), entry=entry)


@pages.post("/eintraege/{entry_id}/bearbeiten", response_class=HTMLResponse, response_model=None)
def update_entry_page(
    entry_id: str, request: Request, form: VerifiedForm, official: PageOfficial, service: Service
) -> Response:
    """Save a draft's changed answers."""
    entry = service.get(official, entry_id)
    try:
        service.update(official, entry_id, parse_input(EntryIn, form))
    except InvalidInputError as err:
        return _form_page(request, service, official, form, err.problems, entry, err.status)
    except DuplicateFilePlanNumberError as err:
        problem = FieldProblem("file_plan_number", err.message, err.message_de)
        return _form_page(request, service, official, form, (problem,), entry, err.status)
    return _see_other(f"/ask/eintraege/{entry_id}")


@pages.post("/eintraege/{entry_id}/einreichen")
def submit_entry_page(
    entry_id: str, form: VerifiedForm, official: PageOfficial, service: Service
) -> RedirectResponse:
    """Einreichen: hand the draft to the archive."""
    service.transition(official, entry_id, Transition.SUBMIT)
    return _see_other(f"/ask/eintraege/{entry_id}")


@pages.post("/eintraege/{entry_id}/bewerten")
def review_entry_page(
    entry_id: str, form: VerifiedForm, official: PageArchivist, service: Service
) -> RedirectResponse:
    """Bewerten: the archivist records the archival value."""
    service.transition(official, entry_id, Transition.REVIEW, parse_input(ReviewIn, form))
    return _see_other(f"/ask/eintraege/{entry_id}")


@pages.post("/eintraege/{entry_id}/zurueckgeben")
def return_entry_page(
    entry_id: str, form: VerifiedForm, official: PageArchivist, service: Service
) -> RedirectResponse:
    """Zurückgeben: the archivist sends the entry back for correction."""
    service.transition(official, entry_id, Transition.RETURN, parse_input(ReturnIn, form))
    return _see_other(f"/ask/eintraege/{entry_id}")


@pages.post("/eintraege/{entry_id}/loeschen")
def delete_entry_page(
    entry_id: str, form: VerifiedForm, official: PageOfficial, service: Service
) -> RedirectResponse:
    """Löschen: delete a draft."""
    service.delete(official, entry_id)
    return _see_other("/ask/katalog")


@pages.get("/auswertung", response_class=HTMLResponse)
def evaluation_page(
    request: Request, official: PageOfficial, year: Year, service: Service
) -> HTMLResponse:
    """Auswertung: volumes, retention classes, archival value, media, handovers due."""
    result = service.evaluate(official, year)
    return _page(request, service, "auswertung.html", {"official": official, "ev": result})


@pages.get("/export.csv")
def export_csv_page(official: PageOfficial, filters: Filters, service: Service) -> Response:
    """The catalogue (with the page's filters) as CSV for Excel."""
    return export_csv(official, filters, service)


@pages.get("/export.json")
def export_json_page(official: PageOfficial, filters: Filters, service: Service) -> Response:
    """The catalogue (with the page's filters) as JSON."""
    return export_json(official, filters, service)


@pages.get("/dev-anmeldung", response_class=HTMLResponse, response_model=None)
def dev_sign_in_page(
    request: Request,
    service: Service,
    kennung: str | None = None,
    weiter: str = "/ask/katalog",
) -> Response:
    """DEVELOPMENT ONLY: choose tenant, official and role (refused outside development).

    With ``kennung`` (``<tenant>/<official>[/<role>]``) the identity is kept in a cookie
    and the browser goes on to ``weiter`` (a path below ``/ask/`` only: no open redirect).
    """
    service.identities.check_allowed()
    if kennung is None:
        return _page(request, service, "anmeldung.html", {"official": None})
    parse_dev_identity(kennung)
    target = weiter if weiter.startswith("/ask/") and "//" not in weiter else "/ask/katalog"
    response = _see_other(target)
    response.set_cookie(DEV_COOKIE, kennung, httponly=True, samesite="lax", path="/ask")
    return response


@pages.post("/dev-abmeldung")
def dev_sign_out(form: VerifiedForm) -> RedirectResponse:
    """DEVELOPMENT ONLY: forget the development identity."""
    response = _see_other("/ask/dev-anmeldung")
    response.delete_cookie(DEV_COOKIE, path="/ask")
    return response


router = APIRouter()
router.include_router(api)
router.include_router(pages)
