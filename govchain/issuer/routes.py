"""HTTP of the issuer: OID4VCI endpoints, the officials' offer API and the offer page.

Thin, as everywhere: parse, identify the official through a typed dependency, call one
service method, answer. Responses that carry codes, tokens or nonces are not cached.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

import segno
from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from govchain.credentials.types import credential_type
from govchain.issuer.errors import (
    ActivationRequiredError,
    InvalidCredentialRequestError,
    InvalidRequestError,
    IssuerError,
    LoginRequiredError,
    RateLimitedError,
    RequestBodyError,
    RequestTooLargeError,
)
from govchain.issuer.schemas import CredentialOut, NonceOut, OfferCreated, OfferIn, TokenOut
from govchain.issuer.service import IssuerService

__all__ = [
    "DEV_HEADER",
    "FAST_PATHS",
    "error_page",
    "oid4vci",
    "pages",
    "retry_after",
    "router",
]

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


# The token, nonce and credential endpoints are a wallet's hot path: ``app.Oid4vciFastPath``
# answers them through the ``answer_*`` functions below, ahead of the router (no
# dependency solving, no thread-pool hop, no response-model re-validation of data the
# service just built). The routes document them (OpenAPI) and answer the same way when
# the middleware is not installed.

_FORM = "application/x-www-form-urlencoded"
_MAX_TOKEN_REQUEST_BYTES = 16 * 1024
_MAX_CREDENTIAL_REQUEST_BYTES = 256 * 1024  # a batch of proofs, each a compact JWS


async def _body(
    request: Request,
    limit: int,
    refusal: type[InvalidRequestError | InvalidCredentialRequestError | RequestTooLargeError],
) -> bytes:
    """The request body, refused with ``refusal`` once it passes ``limit`` bytes (not
    read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise refusal(
            f"The request is larger than {limit} bytes.",
            f"Die Anfrage ist größer als {limit} Bytes.",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise refusal(
                f"The request is larger than {limit} bytes.",
                f"Die Anfrage ist größer als {limit} Bytes.",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _json(text: str) -> Response:
    return Response(text, media_type="application/json", headers=_NO_STORE)


async def answer_token(request: Request) -> Response:
    """The token endpoint's answer: the form parsed once (urlencoded only, as RFC 6749
    asks; other media types are refused unread), the service's token as JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() == _FORM:
        body = await _body(request, _MAX_TOKEN_REQUEST_BYTES, InvalidRequestError)
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=16)
        except (UnicodeDecodeError, ValueError) as err:
            raise InvalidRequestError(
                "The token request is not a readable form.",
                "Die Token-Anfrage ist kein lesbares Formular.",
            ) from err
        fields = dict(pairs)
    else:
        # no multipart (nor anything else): its parser would spool files before the
        # grant is even looked at
        raise InvalidRequestError(
            "The token request must be application/x-www-form-urlencoded (RFC 6749).",
            "Die Token-Anfrage muss application/x-www-form-urlencoded sein (RFC 6749).",
        )
    return _json(_service(request).token(fields).model_dump_json())


async def answer_nonce(request: Request) -> Response:
    """The nonce endpoint's answer: a fresh c_nonce (no database write, see the service)."""
    return _json(_service(request).nonce().model_dump_json())


async def answer_credential(request: Request) -> Response:
    """The credential endpoint's answer: one SD-JWT VC per valid key proof."""
    body = await _body(request, _MAX_CREDENTIAL_REQUEST_BYTES, InvalidCredentialRequestError)
    try:
        parsed = json.loads(body)
    except ValueError as err:
        raise InvalidCredentialRequestError(
            "The request body is not JSON.", "Der Inhalt der Anfrage ist kein JSON."
        ) from err
    authorization = request.headers.get("authorization")
    return _json(_service(request).credential(authorization, parsed).model_dump_json())


_MAX_OFFER_REQUEST_BYTES = 256 * 1024


async def answer_offer(request: Request) -> Response:
    """The officials' ``POST /issuer/v1/offers`` (also on the hot path: batch jobs and the
    benchmark's flow start here): the official first, then the body as ``OfferIn``; a
    malformed body is refused like the app's validation handler does."""
    service = _service(request)
    official = service.identify(request.headers.get(DEV_HEADER))
    body = await _body(request, _MAX_OFFER_REQUEST_BYTES, RequestTooLargeError)
    try:
        offer = OfferIn.model_validate_json(body)
    except ValidationError as err:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in err.errors()]
        raise RequestBodyError.from_errors(errors) from err
    created = service.create_offer(
        credential_type=offer.credential_type,
        claims=offer.claims,
        official=official,
        tx_code=offer.tx_code,
        by_reference=offer.by_reference,
    )
    return Response(
        created.model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers=_NO_STORE,
    )


FAST_PATHS: dict[str, Callable[[Request], Awaitable[Response]]] = {
    "/token": answer_token,
    "/nonce": answer_nonce,
    "/credential": answer_credential,
    "/issuer/v1/offers": answer_offer,
}
"""The POST endpoints ``app.Oid4vciFastPath`` answers, by path."""


@oid4vci.post("/token", response_model=TokenOut)
async def token(request: Request) -> Response:
    """The token endpoint (form-encoded, pre-authorized code grant)."""
    return await answer_token(request)


@oid4vci.post("/nonce", response_model=NonceOut)
async def nonce(request: Request) -> Response:
    """The nonce endpoint: a fresh c_nonce."""
    return await answer_nonce(request)


@oid4vci.post("/credential", response_model=CredentialOut)
async def credential(request: Request) -> Response:
    """The credential endpoint: one SD-JWT VC per valid key proof."""
    return await answer_credential(request)


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
        # every page behind a login needs level substanziell (see LevelTooLowError)
        query = urlencode({"ziel": path, "niveau": "substanziell"})
        return RedirectResponse(f"/issuer/anmeldung?{query}", status_code=303)
    if isinstance(err, ActivationRequiredError) and request.method == "GET":
        return RedirectResponse("/issuer/aktivierung", status_code=303)
    problems = getattr(err, "problems", [])
    return templates.TemplateResponse(
        request,
        "fehler.html",
        {"error": err, "problems": problems, "path": path},
        status_code=err.status,
        headers={**_NO_STORE, **retry_after(err)},
    )


def retry_after(err: IssuerError) -> dict[str, str]:
    """The Retry-After header of a rate-limit refusal (none for other errors)."""
    if isinstance(err, RateLimitedError):
        return {"Retry-After": str(err.retry_after)}
    return {}
