"""HTTP routes of the verifier (thin: parse, call the service, answer).

``router``: the JSON API and the OID4VP endpoints under ``/verifier/v1``;
``pages``: the officials' field-check pages (German, server-rendered) under ``/verifier``;
``oidc``: "Login mit BürgerID", the OpenID Connect provider, under ``/oidc``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, unquote_plus

import segno
from fastapi import APIRouter, Depends, Form, Header, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import SecretStr

from govchain.credentials import CheckOutcome
from govchain.verifier._oidc_store import LoginPhase
from govchain.verifier._store import Channel, RequestPhase
from govchain.verifier.checks import field_checks, shown_claims
from govchain.verifier.didcomm import WEBHOOK_TOPICS, DidcommChannel
from govchain.verifier.errors import (
    AuthorizationRequestError,
    DidcommNotConfiguredError,
    InvalidClientError,
    MalformedResponseError,
    MalformedWebhookError,
    OidcError,
    TokenRequestError,
    VerifierError,
    WebhookUnauthorizedError,
)
from govchain.verifier.oidc import OidcProvider
from govchain.verifier.schemas import (
    CheckInfo,
    CreatedDidcommRequestOut,
    CreatedRequestOut,
    CreateRequest,
    PendingResult,
    ResponseAccepted,
    SnapshotOut,
    VerificationResultOut,
    result_to_json,
)
from govchain.verifier.service import MAX_VP_TOKEN_CHARS, REQUEST_OBJECT_TYP, VerifierService

__all__ = [
    "RESPONSES_PATH",
    "answer_response",
    "error_page",
    "oidc",
    "oidc_error",
    "pages",
    "router",
]

router = APIRouter(prefix="/verifier/v1", tags=["verifier"])
RESPONSES_PATH = "/verifier/v1/responses"
pages = APIRouter(prefix="/verifier", tags=["verifier pages"], include_in_schema=False)
oidc = APIRouter(prefix="/oidc", tags=["Login mit BürgerID"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _service(request: Request) -> VerifierService:
    service: VerifierService = request.app.state.verifier
    return service


Service = Annotated[VerifierService, Depends(_service)]


def _didcomm(request: Request) -> DidcommChannel:
    channel: DidcommChannel | None = request.app.state.didcomm
    if channel is None:
        raise DidcommNotConfiguredError()
    return channel


Didcomm = Annotated[DidcommChannel, Depends(_didcomm)]


def _agent_webhook(
    request: Request, x_api_key: Annotated[str | None, Header()] = None
) -> DidcommChannel:
    """The DIDComm channel, for a post that carries the verifier agent's webhook key
    (compared in constant time); anyone else gets 401 and learns nothing, not even
    whether webhooks are set up."""
    channel: DidcommChannel | None = request.app.state.didcomm
    key: SecretStr | None = request.app.state.webhook_key
    expected = key.get_secret_value() if key is not None else secrets.token_urlsafe(32)
    given = (x_api_key or "").encode()
    if not hmac.compare_digest(given, expected.encode()) or channel is None or key is None:
        raise WebhookUnauthorizedError()
    return channel


AgentWebhook = Annotated[DidcommChannel, Depends(_agent_webhook)]


def _provider(request: Request) -> OidcProvider:
    provider: OidcProvider = request.app.state.oidc
    return provider


Provider = Annotated[OidcProvider, Depends(_provider)]


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


@router.post(
    "/didcomm/requests",
    status_code=status.HTTP_201_CREATED,
    response_model=CreatedDidcommRequestOut,
)
async def create_didcomm_request(body: CreateRequest, didcomm: Didcomm) -> CreatedDidcommRequestOut:
    """Start a check over DIDComm: an out-of-band invitation an Aries wallet scans; the
    result comes at the same ``/requests/{id}/result`` (503 without a verifier agent)."""
    created = await didcomm.create_request(body.check, body.params)
    return CreatedDidcommRequestOut(**created.__dict__)


_MAX_WEBHOOK_BYTES = 1024 * 1024  # a presentation record carries the whole presentation


@router.post(
    "/didcomm/webhooks/topic/{topic}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def agent_webhook(topic: str, request: Request, didcomm: AgentWebhook) -> Response:
    """The verifier agent's webhooks (ACA-Py ``--webhook-url <this>/didcomm/webhooks#key``
    posts to ``.../topic/<topic>/`` with ``x-api-key``): wakes the open check a
    ``connections``, ``present_proof_v2_0`` or ``problem_report`` event concerns; other
    topics are accepted and ignored."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_WEBHOOK_BYTES:
        raise MalformedWebhookError("the body is larger than 1 MiB")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > _MAX_WEBHOOK_BYTES:
            raise MalformedWebhookError("the body is larger than 1 MiB")
    try:
        payload = json.loads(body)
    except ValueError as err:
        raise MalformedWebhookError("the body is not JSON") from err
    if not isinstance(payload, dict):
        raise MalformedWebhookError("the body is not a JSON object")
    if topic in WEBHOOK_TOPICS:
        didcomm.notify(topic, payload)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/requests/{request_id}/result",
    response_model=VerificationResultOut,
    responses={202: {"model": PendingResult}},
)
def get_result(request_id: str, service: Service) -> Response:
    """The result (200) once a wallet answered, 202 while pending, 410 once expired (or,
    over DIDComm, aborted: ``request-failed`` with the reason)."""
    result = service.result(request_id)
    if result is None:
        stored = service.get(request_id)
        pending = PendingResult(
            request_id=request_id,
            expires_at=stored.expires_at,
            channel=stored.channel.value,
            stage=stored.stage.value if stored.stage is not None else None,
        )
        return JSONResponse(pending.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    body = result_to_json(result)
    body["offline_as_of"] = service.get(request_id).offline_as_of
    return JSONResponse(body)


@router.get("/request-objects/{ref}")
def get_request_object(ref: str, service: Service) -> Response:
    """The signed request object the QR code refers to (OID4VP ``request_uri``)."""
    return Response(service.request_object(ref), media_type=f"application/{REQUEST_OBJECT_TYP}")


_FORM = "application/x-www-form-urlencoded"
_MAX_RESPONSE_BYTES = 4 * MAX_VP_TOKEN_CHARS  # percent-encoding triples at most, plus state
_ACCEPTED = b"{}"
_RESPONSE_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            _FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "vp_token": {"type": "string", "title": "Vp Token"},
                        "state": {"type": "string", "title": "State"},
                    },
                }
            }
        },
    }
}


def response_form(content_type: str | None, body: bytes) -> tuple[str | None, str | None]:
    """``state`` and ``vp_token`` of a direct_post body, parsed once, without pydantic.

    Only ``application/x-www-form-urlencoded`` is read (anything else carries neither
    field); a field sent twice is refused rather than one of the values picked.
    """
    if content_type is None or content_type.split(";", 1)[0].strip().lower() != _FORM:
        return None, None
    if len(body) > _MAX_RESPONSE_BYTES:
        raise MalformedResponseError("vp_token is too large")
    try:
        text = body.decode("ascii")
        fields = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=16)
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedResponseError("the response is not a valid form") from err
    state: str | None = None
    vp_token: str | None = None
    for name, value in fields:
        if name == "state":
            if state is not None:
                raise MalformedResponseError("state is given twice")
            state = value
        elif name == "vp_token":
            if vp_token is not None:
                raise MalformedResponseError("vp_token is given twice")
            vp_token = value
    return state, vp_token


async def _body(request: Request) -> bytes:
    """The request body, refused once it passes ``_MAX_RESPONSE_BYTES`` (not read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_RESPONSE_BYTES:
        raise MalformedResponseError("vp_token is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_RESPONSE_BYTES:
            raise MalformedResponseError("vp_token is too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def answer_response(request: Request) -> Response:
    """Parse a direct_post once, verify it (on the event loop: CPU-bound, sub-millisecond,
    no thread-pool hop) and answer ``200 {}``; refusals raise ``VerifierError``."""
    state, vp_token = response_form(request.headers.get("content-type"), await _body(request))
    _service(request).receive_response(state, vp_token)
    return Response(_ACCEPTED, media_type="application/json")


@router.post("/responses", response_model=ResponseAccepted, openapi_extra=_RESPONSE_FORM)
async def post_response(request: Request) -> Response:
    """The wallet's Authorization Response (``direct_post``, form-encoded).

    Served by ``app.DirectPost`` ahead of the router; this route documents it (OpenAPI)
    and answers the same way if the middleware is not installed.
    """
    return await answer_response(request)


@router.post("/snapshot", response_model=SnapshotOut)
def export_snapshot(service: Service) -> SnapshotOut:
    """Take, sign and keep an offline snapshot of the lists and issuers seen so far."""
    return SnapshotOut(snapshot=service.export_snapshot())


# --- the field-check pages -----------------------------------------------------------------


def qr_svg(content: str) -> Markup:
    """A QR code as inline SVG (no JavaScript, no external image). Without a fixed size
    it keeps its viewBox, so the page's CSS scales the whole code to the screen instead
    of cutting off its edge."""
    svg = segno.make(content, error="m").svg_inline(scale=5, border=2, omitsize=True)
    return Markup(svg)  # segno's own SVG markup; the content is our URI


@pages.get("/", response_class=HTMLResponse)
def start_page(request: Request) -> Response:
    """The official picks a check (and, with a verifier agent, OID4VP or DIDComm)."""
    context = {"checks": field_checks(), "didcomm": request.app.state.didcomm is not None}
    return templates.TemplateResponse(request, "start.html", context)


@pages.post("/pruefungen")
async def start_check(request: Request, service: Service) -> Response:
    """Start the chosen check over the chosen channel and show its QR code."""
    form = await request.form()
    params = {k: str(v) for k, v in form.items() if k not in {"check", "channel"}}
    check = str(form.get("check", ""))
    if form.get("channel") == Channel.DIDCOMM.value:
        request_id = (await _didcomm(request).create_request(check, params)).request_id
    else:
        request_id = service.create_request(check, params).request_id
    return RedirectResponse(
        request.url_for("check_page", request_id=request_id),
        status_code=status.HTTP_303_SEE_OTHER,
    )


@pages.get("/pruefungen/{request_id}", response_class=HTMLResponse, name="check_page")
def check_page(request_id: str, request: Request, service: Service) -> Response:
    """QR code while pending (refreshing itself), then a large green or red result; over
    DIDComm the QR code is the agent's out-of-band invitation."""
    stored = service.get(request_id)
    result = stored.result
    link = stored.invitation_url or stored.openid4vp_uri
    context = {
        "stored": stored,
        "phase": stored.phase.value,
        "link": link,
        "qr": qr_svg(link) if stored.phase is RequestPhase.PENDING else None,
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


# --- "Login mit BürgerID" (OpenID Connect) -------------------------------------------------

LEVEL_LABELS = {
    "basisregistrierung": "Basisregistrierung",
    "substanziell": "substanziell",
    "hoch": "hoch",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@oidc.get("/.well-known/openid-configuration")
def openid_configuration(provider: Provider) -> dict[str, object]:
    """OpenID Provider Metadata (OIDC Discovery 1.0)."""
    return provider.discovery()


@oidc.get("/jwks")
def jwks(provider: Provider) -> dict[str, object]:
    """The ID token signing key (JWK Set)."""
    return provider.jwks()


@oidc.get("/authorize")
def authorize(request: Request, provider: Provider) -> Response:
    """The authorization endpoint: check the request, then the citizen's login page."""
    keys = [key for key, _ in request.query_params.multi_items()]
    repeated = frozenset(key for key in keys if keys.count(key) > 1)
    login_id = provider.begin(dict(request.query_params), repeated)
    return RedirectResponse(
        request.url_for("login_page", login_id=login_id), status_code=status.HTTP_303_SEE_OTHER
    )


@oidc.get("/anmeldung/{login_id}", response_class=HTMLResponse, name="login_page")
def login_page(login_id: str, request: Request, provider: Provider) -> Response:
    """QR code for the BürgerID (refreshing itself), then back to the service: with the
    code, or with ``error=access_denied`` after a German explanation."""
    view = provider.login(login_id)
    if view.phase is LoginPhase.CODE_ISSUED and view.redirect_to is not None:
        return RedirectResponse(view.redirect_to, status_code=status.HTTP_303_SEE_OTHER)
    context = {
        "view": view,
        "phase": view.phase.value,
        "level": LEVEL_LABELS[view.min_level],
        "qr": qr_svg(view.openid4vp_uri) if view.openid4vp_uri is not None else None,
    }
    return templates.TemplateResponse(request, "anmeldung.html", context)


def _basic_auth(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClientError("unsupported authorization scheme")
    try:
        client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as err:
        raise InvalidClientError("malformed HTTP Basic credentials") from err
    if not sep:
        raise InvalidClientError("malformed HTTP Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


@oidc.post("/token")
def token(
    request: Request,
    provider: Provider,
    grant_type: Annotated[str | None, Form()] = None,
    code: Annotated[str | None, Form()] = None,
    redirect_uri: Annotated[str | None, Form()] = None,
    code_verifier: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> Response:
    """The token endpoint: a code for an access token and an ID token."""
    client = provider.authenticate(_basic_auth(request), client_id, client_secret)
    issued = provider.token(
        client,
        grant_type=grant_type,
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
    )
    return JSONResponse(issued.__dict__, headers=NO_STORE)


@oidc.api_route("/userinfo", methods=["GET", "POST"])
def userinfo(request: Request, provider: Provider) -> Response:
    """The citizen's ``sub`` and the claims the scope allows (Bearer access token)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    claims = provider.userinfo(value.strip() if scheme.lower() == "bearer" else None)
    return JSONResponse(claims, headers=NO_STORE)


def oidc_error(request: Request, err: OidcError) -> Response:
    """OAuth errors: back to the client's registered redirect_uri where allowed, a German
    page where the client or its redirect_uri is not known, JSON at the token endpoint."""
    provider = _provider(request)
    if isinstance(err, AuthorizationRequestError):
        return RedirectResponse(provider.error_redirect(err), status_code=status.HTTP_303_SEE_OTHER)
    if not isinstance(err, TokenRequestError) and err.status != 401:
        return templates.TemplateResponse(
            request, "anmeldung_fehler.html", {"error": err}, status_code=err.status
        )
    headers = dict(NO_STORE)
    if err.status == 401:
        if isinstance(err, TokenRequestError):
            headers["WWW-Authenticate"] = 'Basic realm="govchain"'
        else:
            headers["WWW-Authenticate"] = f'Bearer error="{err.oauth_error}"'
    body = {"error": err.oauth_error, "error_description": err.message}
    return JSONResponse(body, status_code=err.status, headers=headers)
