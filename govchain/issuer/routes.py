"""HTTP of the issuer: OID4VCI endpoints, the officials' offer API and the offer page.

Thin, as everywhere: parse, identify the official through a typed dependency, call one
service method, answer. Responses that carry codes, tokens or nonces are not cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from govchain.credentials.types import credential_type
from govchain.issuer.errors import (
    InvalidCredentialRequestError,
    IssuerError,
    LoginRequiredError,
)
from govchain.issuer.schemas import CredentialOut, NonceOut, OfferCreated, OfferIn, TokenOut
from govchain.issuer.service import IssuerService

__all__ = ["DEV_HEADER", "error_page", "oid4vci", "pages", "router"]

DEV_HEADER = "X-Govchain-Dev-Official"

oid4vci = APIRouter(tags=["oid4vci"])
router = APIRouter(prefix="/issuer/v1", tags=["issuer"])
pages = APIRouter(prefix="/issuer", include_in_schema=False)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

_NO_STORE = {"Cache-Control": "no-store"}


def _service(request: Request) -> IssuerService:
    service: IssuerService = request.app.state.issuer
    return service


Service = Annotated[IssuerService, Depends(_service)]


def _official(
    service: Service, header: Annotated[str | None, Header(alias=DEV_HEADER)] = None
) -> str:
    return service.identify(header)


CurrentOfficial = Annotated[str, Depends(_official)]


# --- OID4VCI ------------------------------------------------------------------------------


@oid4vci.get("/.well-known/openid-credential-issuer")
def issuer_metadata(service: Service) -> dict[str, Any]:
    """Credential Issuer Metadata."""
    return service.metadata()


@oid4vci.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata(service: Service) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata."""
    return service.authorization_server_metadata()


@oid4vci.post("/token", response_model=TokenOut)
async def token(request: Request, response: Response, service: Service) -> TokenOut:
    """The token endpoint (form-encoded, pre-authorized code grant)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    response.headers.update(_NO_STORE)
    return service.token(fields)


@oid4vci.post("/nonce", response_model=NonceOut)
def nonce(response: Response, service: Service) -> NonceOut:
    """The nonce endpoint: a fresh c_nonce."""
    response.headers.update(_NO_STORE)
    return service.nonce()


@oid4vci.post("/credential", response_model=CredentialOut)
async def credential(
    request: Request,
    response: Response,
    service: Service,
    authorization: Annotated[str | None, Header()] = None,
) -> CredentialOut:
    """The credential endpoint: one SD-JWT VC per valid key proof."""
    try:
        body = await request.json()
    except ValueError as err:
        raise InvalidCredentialRequestError(
            "The request body is not JSON.", "Der Inhalt der Anfrage ist kein JSON."
        ) from err
    response.headers.update(_NO_STORE)
    return service.credential(authorization, body)


# --- officials' API -----------------------------------------------------------------------


@router.post("/offers", status_code=status.HTTP_201_CREATED, response_model=OfferCreated)
def create_offer(body: OfferIn, official: CurrentOfficial, service: Service) -> OfferCreated:
    """Make a credential offer; the tx_code comes back separately, never in the offer."""
    return service.create_offer(
        credential_type=body.credential_type,
        claims=body.claims,
        official=official,
        tx_code=body.tx_code,
        by_reference=body.by_reference,
    )


@router.get("/credential-offers/{code}")
def credential_offer(code: str, service: Service) -> JSONResponse:
    """The credential offer behind a ``credential_offer_uri``."""
    return JSONResponse(service.offer_document(code), headers=_NO_STORE)


# --- pages --------------------------------------------------------------------------------


@pages.get("/angebote/{code}", response_class=HTMLResponse)
def offer_page(request: Request, code: str, service: Service) -> HTMLResponse:
    """The German offer page with the QR code for the citizen's wallet."""
    row, uri = service.offer_page(code)
    qr = segno.make(uri, error="m").svg_inline(scale=5, title="QR-Code des Nachweisangebots")
    ctype = credential_type(row.vct)
    response = templates.TemplateResponse(
        request,
        "angebot.html",
        {
            "name_de": ctype.name_de,
            "qr": qr,
            "uri": uri,
            "tx_code": row.tx_code_length is not None,
            "expires_at": row.expires_at,
        },
        headers=_NO_STORE,
    )
    return response


def error_page(request: Request, err: IssuerError) -> Response | None:
    """The German error page for a refused page request (a page that needs a login sends
    the browser to it); None for the APIs."""
    path = request.url.path
    if not path.startswith("/issuer/") or path.startswith("/issuer/v1/"):
        return None
    if isinstance(err, LoginRequiredError) and request.method == "GET":
        query = urlencode({"ziel": path, "niveau": "substanziell" if "/konsole" in path else ""})
        return RedirectResponse(f"/issuer/anmeldung?{query}", status_code=303)
    problems = getattr(err, "problems", [])
    return templates.TemplateResponse(
        request,
        "fehler.html",
        {"error": err, "problems": problems},
        status_code=err.status,
        headers=_NO_STORE,
    )
