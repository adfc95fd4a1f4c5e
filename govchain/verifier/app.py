"""The verifier app (127.0.0.1:8102): OID4VP 1.0 requests and responses, the results
API, the officials' field-check pages, and "Login mit BürgerID" (OIDC under ``/oidc``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from govchain._problems import problem_response
from govchain.credentials import StatusSource, TrustSource
from govchain.errors import GovchainError
from govchain.verifier import routes
from govchain.verifier._wiring import open_agent, open_provider, open_service
from govchain.verifier.didcomm import (
    FALLBACK_MAX_POLL_SECONDS,
    FALLBACK_POLL_SECONDS,
    DidcommChannel,
)
from govchain.verifier.errors import OidcError, VerifierError
from govchain.verifier.settings import VerifierSettings

__all__ = ["create_app"]


def _problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    detail_de: str,
    oauth_error: str | None = None,
) -> JSONResponse:
    """An RFC 9457 problem; wallet-facing refusals also carry the OAuth ``error`` code."""
    extra = {"error": oauth_error, "error_description": detail} if oauth_error else None
    return problem_response(status, code, title, detail, detail_de, extra=extra)


class DirectPost:
    """ASGI middleware answering ``POST /verifier/v1/responses`` (the wallets' direct_post,
    the verifier's hot path) without the router, dependency solving and the thread pool.

    It sits inside Starlette's ``ServerErrorMiddleware`` (an unexpected error is still a
    500) and hands refusals to the app's own exception handlers, so the answers are the
    same problem documents the route would give. Everything else passes through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != routes.RESPONSES_PATH
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await routes.answer_response(request)
        except GovchainError as err:  # VerifierError and OidcError are GovchainErrors too
            handler = _handler(scope["app"], err)
            if handler is None:
                raise
            response = await handler(request, err)
        await response(scope, receive, send)


def _handler(app: FastAPI, err: Exception) -> Any:
    """The app's exception handler for ``err`` (most specific class first), if any."""
    for cls in type(err).__mro__:
        if cls in app.exception_handlers:
            return app.exception_handlers[cls]
    return None


def create_app(
    settings: VerifierSettings,
    *,
    sources: tuple[StatusSource, TrustSource] | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The verifier app; status and trust come from the chain in the settings unless
    ``sources`` are given (e.g. chain sources built in-process)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = open_service(settings, sources=sources, clock=clock)
        provider = open_provider(settings, service, clock=clock)
        app.state.verifier = service
        app.state.oidc = provider
        app.state.didcomm = None
        app.state.webhook_key = None
        agent = open_agent(settings)
        if agent is not None and settings.webhooks_enabled:
            # the agent's webhooks wake the checks; polling only catches lost ones
            app.state.webhook_key = settings.verifier_agent_webhook_api_key
            app.state.didcomm = DidcommChannel(
                service,
                agent,
                max_open=settings.verifier_didcomm_max_open,
                webhooks=True,
                poll_seconds=FALLBACK_POLL_SECONDS,
                max_poll_seconds=FALLBACK_MAX_POLL_SECONDS,
            )
        elif agent is not None:
            app.state.didcomm = DidcommChannel(
                service, agent, max_open=settings.verifier_didcomm_max_open
            )
        try:
            yield
        finally:
            if agent is not None:
                await app.state.didcomm.aclose()  # open checks: failed, cleaned up
                await agent.aclose()
            provider.store.close()
            service.store.close()

    app = FastAPI(title="govchain verifier", version="0.1.0", lifespan=lifespan)
    app.add_middleware(DirectPost)
    app.include_router(routes.router)
    app.include_router(routes.pages)
    app.include_router(routes.oidc)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/verifier/")

    @app.exception_handler(OidcError)
    async def _oidc_error(request: Request, err: OidcError) -> Response:
        return routes.oidc_error(request, err)

    @app.exception_handler(VerifierError)
    async def _verifier_error(request: Request, err: VerifierError) -> Response:
        page = routes.error_page(request, err)
        if page is not None:
            return page
        return _problem(
            err.status, err.code, type(err).__name__, err.message, err.message_de, err.oauth_error
        )

    @app.exception_handler(GovchainError)
    async def _govchain_error(request: Request, err: GovchainError) -> JSONResponse:
        return _problem(503, "chain-error", type(err).__name__, err.message, err.message_de)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _problem(
            422,
            "invalid-request",
            "Invalid request",
            f"The request is invalid at {where}: {first.get('msg')}.",
            f"Die Anfrage ist ungültig bei {where}: {first.get('msg')}.",
            "invalid_request",
        )

    return app
