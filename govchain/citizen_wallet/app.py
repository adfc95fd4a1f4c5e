"""The wallet app (127.0.0.1:8103): German, mobile-first pages over the wallet core.

The wallet is personal and runs on the citizen's own device on loopback. Unlocking in
the browser sets a random session cookie; every page but unlock and set-up needs it, so
another local browser profile or a page from another site cannot use an open wallet.
The session ends and the wallet locks itself after ``wallet_idle_lock_seconds`` without
activity and ``wallet_max_session_seconds`` after unlocking (``_session.py``): checked on
every request and by a background sweep, so an idle wallet does not keep its key in
memory until someone comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from govchain.citizen_wallet import routes
from govchain.citizen_wallet._csrf import CsrfGuard
from govchain.citizen_wallet._session import WalletSession
from govchain.citizen_wallet.errors import WalletError, WalletLockedError
from govchain.citizen_wallet.service import CitizenWallet, open_wallet
from govchain.citizen_wallet.settings import WalletSettings

__all__ = ["create_app"]


def create_app(
    settings: WalletSettings,
    *,
    wallet: CitizenWallet | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The wallet app over ``wallet`` (by default the one the settings describe);
    ``clock`` (monotonic seconds) times the session's automatic locking."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = wallet or open_wallet(settings)
        session = WalletSession(
            clock=clock,
            idle_seconds=settings.wallet_idle_lock_seconds,
            max_seconds=settings.wallet_max_session_seconds,
            on_expire=service.lock,
        )
        app.state.wallet = service
        app.state.csrf = CsrfGuard()
        app.state.session = session
        sweep = asyncio.create_task(_sweep(session))
        try:
            yield
        finally:
            sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweep
            service.lock()

    app = FastAPI(title="govchain wallet", version="0.1.0", lifespan=lifespan, docs_url=None)
    app.include_router(routes.pages)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/wallet/", status_code=303)

    @app.exception_handler(WalletLockedError)
    async def _locked(request: Request, err: WalletLockedError) -> Response:
        query = {"grund": err.reason, "weiter": err.return_to}
        query = {k: v for k, v in query.items() if v}
        url = "/wallet/entsperren" + (f"?{urlencode(query)}" if query else "")
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(WalletError)
    async def _error(request: Request, err: WalletError) -> Response:
        return routes.error_page(request, err)

    return app


async def _sweep(session: WalletSession) -> None:
    """Lock the wallet when its session runs out, even if no request comes."""
    interval = max(1.0, min(15.0, session.idle_seconds / 4))
    while True:
        await asyncio.sleep(interval)
        session.expire_if_due()
