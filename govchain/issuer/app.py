"""The issuer app (127.0.0.1:8101): OID4VCI 1.0 issuance with the pre-authorized code
flow, the officials' offer API and the German offer page."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govchain._problems import PROBLEM_MEDIA_TYPE, problem_members
from govchain.agents.settings import AgentSettings
from govchain.issuer import console_routes, routes
from govchain.issuer._didcomm import DidcommChannel, IssuerAgent
from govchain.issuer._oidc import OidcClient
from govchain.issuer._status import StatusWriter, connect_status_writer
from govchain.issuer.console import Console
from govchain.issuer.errors import (
    InvalidTokenError,
    IssuerError,
    OAuthError,
    OfferInputError,
    RequestBodyError,
    RequestTooLargeError,
)
from govchain.issuer.service import IssuerService
from govchain.issuer.settings import IssuerSettings
from govchain.platform.anchoring.service import AnchoringService

__all__ = ["create_app"]

log = logging.getLogger(__name__)


async def _poll_didcomm(channel: DidcommChannel, every: float) -> None:
    """Issue to Aries wallets once they have connected (until the app stops)."""
    while True:
        try:
            await channel.step()
        except Exception:  # the poller must outlive one bad pass; the error is logged
            log.exception("DIDComm pass failed; trying again")
        await asyncio.sleep(every)


def error_response(err: IssuerError) -> JSONResponse:
    """Protocol errors as the spec's JSON (``error``, ``error_description``) with the
    RFC 9457 members beside them; everything else as an RFC 9457 problem."""
    members = problem_members(err.status, err.code, type(err).__name__, err.message, err.message_de)
    if isinstance(err, OAuthError):
        headers = {"Cache-Control": "no-store"}
        if isinstance(err, InvalidTokenError):
            headers["WWW-Authenticate"] = err.www_authenticate
        body = {"error": err.error, "error_description": err.message, **members}
        return JSONResponse(body, status_code=err.status, headers=headers)
    if isinstance(err, OfferInputError) and err.problems:
        members["problems"] = err.problems
    return JSONResponse(
        members,
        status_code=err.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=routes.retry_after(err),
    )


class Oid4vciFastPath:
    """ASGI middleware answering the wallets' ``POST /token``, ``/nonce`` and
    ``/credential`` (the issuance hot path) without the router, dependency solving and
    the thread pool (``routes.FAST_PATHS``).

    It sits inside Starlette's ``ServerErrorMiddleware`` (an unexpected error is still a
    500) and answers refusals with ``error_response``, as the app's handler does for
    these paths; everything else passes through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = (
            routes.FAST_PATHS.get(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if answer is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await answer(request)
        except IssuerError as err:
            response = error_response(err)
        await response(scope, receive, send)


class _BodyTooLargeError(Exception):
    """Raised inside ``ConsoleBodyLimit``'s receive once a body passes its limit."""


class ConsoleBodyLimit:
    """ASGI middleware capping the request body of the console's pages (everything
    under ``/issuer/`` but the ``/issuer/v1/`` API, which caps its own) before anything
    parses it: a declared Content-Length over the limit is refused unread, and a body
    streamed without one is counted and cut off at the limit. Document uploads get the
    upload limit plus room for the form; every other form ``issuer_form_max_bytes``.
    Refusals are 413 problems (German page, English beside it)."""

    def __init__(self, app: ASGIApp, settings: IssuerSettings) -> None:
        self.app = app
        self.form_max = settings.issuer_form_max_bytes
        self.upload_max = settings.issuer_upload_max_bytes + 64 * 1024

    def limit(self, path: str) -> int | None:
        """The body limit of a path, or None (not a console page)."""
        if not path.startswith("/issuer/") or path.startswith("/issuer/v1/"):
            return None
        return self.upload_max if path.endswith("/unterlagen") else self.form_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLargeError
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _BodyTooLargeError:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        err = RequestTooLargeError(
            f"The request is larger than {limit // 1024} KiB.",
            f"Die Anfrage ist größer als {limit // 1024} KiB.",
        )
        request = Request(scope, receive)
        response = routes.error_page(request, err) or error_response(err)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def create_app(
    settings: IssuerSettings,
    *,
    clock: Callable[[], float] = time.time,
    anchoring: AnchoringService | None = None,
    status_writer: StatusWriter | None = None,
    agents: AgentSettings | None = None,
) -> FastAPI:
    """The issuer app on ``settings``.

    Args:
        settings: validated issuer settings.
        clock: unix seconds (tests and the demo pass the chain's clock).
        anchoring: the in-process anchoring service the audit log's hashes go to;
            None leaves them queued in the audit table.
        status_writer: writes suspension and revocation on chain; None connects the
            keystore account ``GOVCHAIN_ISSUER_STATUS_ACCOUNT`` if one is configured.
        agents: where the issuer ACA-Py agent is (admin URL, API key); None reads the
            ``GOVCHAIN_AGENTS_*`` settings. Used only when ``GOVCHAIN_ISSUER_AGENT_DID``
            is set (the DIDComm channel).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = IssuerService.open(settings, clock=clock, anchoring=anchoring)
        app.state.issuer = service
        secret = settings.issuer_oidc_client_secret
        oidc = (
            OidcClient(
                settings.issuer_oidc_provider,
                settings.issuer_oidc_client_id,
                secret.get_secret_value() if secret is not None else None,
                settings.oidc_redirect_uri,
            )
            if settings.issuer_oidc_provider is not None
            else None
        )
        writer = status_writer if status_writer is not None else connect_status_writer(settings)
        console = Console(settings, service, oidc=oidc, status_writer=writer, clock=clock)
        app.state.console = console
        poller: asyncio.Task[None] | None = None
        if settings.issuer_agent_did is not None:
            agent = IssuerAgent(
                agents if agents is not None else AgentSettings(),
                settings.issuer_agent_did,
                timeout=settings.issuer_didcomm_timeout_seconds,
            )
            console.didcomm = DidcommChannel(console, agent)
            try:  # issuances a stopped process left open: ask the agent, record or fail
                recorded = await console.didcomm.recover()
            except Exception:  # the poller tries again; the service must start regardless
                log.exception("DIDComm recovery at start failed; the poller tries again")
            else:
                if recorded:
                    log.warning("DIDComm: %d interrupted issuance(s) recorded at start", recorded)
            poller = asyncio.create_task(
                _poll_didcomm(console.didcomm, settings.issuer_didcomm_poll_seconds)
            )
        app.state.didcomm_poller = poller
        try:
            yield
        finally:
            poller = app.state.didcomm_poller  # the running one (tests stop and restart it)
            if poller is not None:
                poller.cancel()
                with suppress(asyncio.CancelledError):
                    await poller
            if oidc is not None:
                oidc.close()
            service.close()

    app = FastAPI(title="govchain issuer", version="0.1.0", lifespan=lifespan)
    app.add_middleware(Oid4vciFastPath)
    app.add_middleware(ConsoleBodyLimit, settings=settings)
    app.include_router(routes.oid4vci)
    app.include_router(routes.router)
    app.include_router(routes.pages)
    app.include_router(console_routes.console)

    @app.exception_handler(IssuerError)
    async def _issuer_error(request: Request, err: IssuerError) -> Response:
        page = routes.error_page(request, err)
        return page if page is not None else error_response(err)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Response:
        return error_response(RequestBodyError.from_errors(err.errors()))

    return app
