"""HTTP routes of the verifier (thin: parse, call the service, answer).

``router``: the JSON API and the OID4VP endpoints under ``/verifier/v1``;
``pages``: the officials' field-check pages (German, server-rendered) under ``/verifier``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from govchain.credentials import CheckOutcome
from govchain.verifier._store import RequestPhase
from govchain.verifier.checks import field_checks, shown_claims
from govchain.verifier.errors import VerifierError
from govchain.verifier.schemas import (
    CheckInfo,
    CreatedRequestOut,
    CreateRequest,
    PendingResult,
    ResponseAccepted,
    VerificationResultOut,
    result_to_json,
)
from govchain.verifier.service import REQUEST_OBJECT_TYP, VerifierService

__all__ = ["error_page", "pages", "router"]

router = APIRouter(prefix="/verifier/v1", tags=["verifier"])
pages = APIRouter(prefix="/verifier", tags=["verifier pages"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _service(request: Request) -> VerifierService:
    service: VerifierService = request.app.state.verifier
    return service


Service = Annotated[VerifierService, Depends(_service)]


# --- JSON API ------------------------------------------------------------------------------


@router.get("/checks", response_model=list[CheckInfo])
def list_checks() -> list[CheckInfo]:
    """The checks an official can start, with their parameters."""
    return [
        CheckInfo(
            name=c.name,
            label_de=c.label_de,
            label_en=c.label_en,
            vct=c.vct,
            params_schema=c.params_model.model_json_schema(),
        )
        for c in field_checks()
    ]


@router.post("/requests", status_code=status.HTTP_201_CREATED, response_model=CreatedRequestOut)
def create_request(body: CreateRequest, service: Service) -> CreatedRequestOut:
    """Start a check: a new OID4VP request whose ``openid4vp_uri`` the wallet scans."""
    created = service.create_request(body.check, body.params)
    return CreatedRequestOut(**created.__dict__)


@router.get(
    "/requests/{request_id}/result",
    response_model=VerificationResultOut,
    responses={202: {"model": PendingResult}},
)
def get_result(request_id: str, service: Service) -> Response:
    """The result (200) once a wallet answered, 202 while pending, 410 once expired."""
    result = service.result(request_id)
    if result is None:
        stored = service.get(request_id)
        pending = PendingResult(request_id=request_id, expires_at=stored.expires_at)
        return JSONResponse(pending.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    return JSONResponse(result_to_json(result))


@router.get("/request-objects/{ref}")
def get_request_object(ref: str, service: Service) -> Response:
    """The signed request object the QR code refers to (OID4VP ``request_uri``)."""
    return Response(service.request_object(ref), media_type=f"application/{REQUEST_OBJECT_TYP}")


@router.post("/responses", response_model=ResponseAccepted)
def post_response(
    service: Service,
    vp_token: Annotated[str | None, Form()] = None,
    state: Annotated[str | None, Form()] = None,
) -> ResponseAccepted:
    """The wallet's Authorization Response (``direct_post``, form-encoded)."""
    service.receive_response(state, vp_token)
    return ResponseAccepted()


# --- the field-check pages -----------------------------------------------------------------


def qr_svg(content: str) -> Markup:
    """A QR code as inline SVG (no JavaScript, no external image)."""
    svg = segno.make(content, error="m").svg_inline(scale=5, border=2)
    return Markup(svg)  # segno's own SVG markup; the content is our URI


@pages.get("/", response_class=HTMLResponse)
def start_page(request: Request) -> Response:
    """The official picks a check."""
    return templates.TemplateResponse(request, "start.html", {"checks": field_checks()})


@pages.post("/pruefungen")
async def start_check(request: Request, service: Service) -> Response:
    """Start the chosen check and show its QR code."""
    form = await request.form()
    params = {k: str(v) for k, v in form.items() if k != "check"}
    created = service.create_request(str(form.get("check", "")), params)
    return RedirectResponse(
        request.url_for("check_page", request_id=created.request_id),
        status_code=status.HTTP_303_SEE_OTHER,
    )


@pages.get("/pruefungen/{request_id}", response_class=HTMLResponse, name="check_page")
def check_page(request_id: str, request: Request, service: Service) -> Response:
    """QR code while pending (refreshing itself), then a large green or red result."""
    stored = service.get(request_id)
    result = stored.result
    context = {
        "stored": stored,
        "phase": stored.phase.value,
        "qr": qr_svg(stored.openid4vp_uri) if stored.phase is RequestPhase.PENDING else None,
        "result": result,
        "problems": [c for c in result.checks if c.outcome is not CheckOutcome.PASSED]
        if result is not None
        else [],
        "claims": shown_claims(stored.check, stored.params, result.claims or {})
        if result is not None
        else [],
    }
    return templates.TemplateResponse(request, "pruefung.html", context)


def error_page(request: Request, err: VerifierError) -> Response | None:
    """A German error page for the officials' pages; None for the API."""
    if request.url.path.startswith(router.prefix):
        return None
    return templates.TemplateResponse(
        request, "fehler.html", {"error": err}, status_code=err.status
    )
