"""The wallet app (127.0.0.1:8103): German, mobile-first pages over the wallet core.

The wallet is personal and runs on the citizen's own device on loopback. Unlocking in
the browser sets a random session cookie; every page but unlock and set-up needs it, so
another local browser profile or a page from another site cannot use an open wallet.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from govchain.citizen_wallet import routes
from govchain.citizen_wallet._csrf import CsrfGuard
from govchain.citizen_wallet.errors import WalletError, WalletLockedError
from govchain.citizen_wallet.service import CitizenWallet, open_wallet
from govchain.citizen_wallet.settings import WalletSettings

__all__ = ["create_app"]


def create_app(settings: WalletSettings, *, wallet: CitizenWallet | None = None) -> FastAPI:
    """The wallet app over ``wallet`` (by default the one the settings describe)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = wallet or open_wallet(settings)
        app.state.wallet = service
        app.state.csrf = CsrfGuard()
        app.state.session = secrets.token_urlsafe(32)
        try:
            yield
        finally:
            service.lock()

    app = FastAPI(title="govchain wallet", version="0.1.0", lifespan=lifespan, docs_url=None)
    app.include_router(routes.pages)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/wallet/", status_code=303)

    @app.exception_handler(WalletLockedError)
    async def _locked(request: Request, err: WalletLockedError) -> Response:
        return RedirectResponse("/wallet/entsperren", status_code=303)

    @app.exception_handler(WalletError)
    async def _error(request: Request, err: WalletError) -> Response:
        return routes.error_page(request, err)

    return app
