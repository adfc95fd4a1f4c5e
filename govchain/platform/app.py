"""The platform app (127.0.0.1:8104): the anchoring service's HTTP API and the ASK
(Aktenstrukturkataster); further services (archive, mailroom, open data) join as routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from govchain._problems import problem_response
from govchain.errors import GovchainError, ServiceError
from govchain.platform.anchoring import routes as anchoring_routes
from govchain.platform.anchoring._wiring import connect_chain
from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.anchoring.worker import AnchoringWorker
from govchain.platform.archive import routes as archive_routes
from govchain.platform.archive._wiring import open_archive
from govchain.platform.archive.worker import ArchiveWorker
from govchain.platform.ask import routes as ask_routes
from govchain.platform.ask.errors import AskError
from govchain.platform.ask.service import AskService
from govchain.platform.settings import PlatformSettings

__all__ = ["create_app"]


def create_app(settings: PlatformSettings, *, run_worker: bool = True) -> FastAPI:
    """The platform app with its anchoring service (and worker thread, unless told not)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ask = AskService.from_settings(settings)
        service = AnchoringService(
            Path(settings.anchoring_dir), None, crash_at=settings.anchoring_crash_at
        )
        worker = None
        if run_worker:
            worker = AnchoringWorker(
                service,
                lambda: connect_chain(settings),
                interval=settings.anchoring_interval_seconds,
                batch_size=settings.anchoring_batch_size,
            )
            worker.start()
        archive = open_archive(settings, service)
        archive_worker = None
        if run_worker:
            archive_worker = ArchiveWorker(
                archive, interval=settings.archive_worker_interval_seconds
            )
            archive_worker.start()
        app.state.anchoring = service
        app.state.anchoring_worker = worker
        app.state.archive = archive
        app.state.archive_worker = archive_worker
        app.state.ask = ask
        try:
            yield
        finally:
            if archive_worker is not None:
                archive_worker.stop()
            archive.close()
            if worker is not None:
                worker.stop()
            service.close()
            ask.close()

    app = FastAPI(title="govchain platform", version="0.1.0", lifespan=lifespan)
    app.include_router(anchoring_routes.router)
    app.include_router(archive_routes.router)
    app.include_router(archive_routes.pages)
    app.include_router(ask_routes.router)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, err: ServiceError) -> JSONResponse:
        # anchoring and archive errors; the ASK's (below) may answer with a German page
        return problem_response(
            err.status, err.code, type(err).__name__, err.message, err.message_de
        )

    @app.exception_handler(AskError)
    async def _ask_error(request: Request, err: AskError) -> Response:
        page = ask_routes.error_page(request, err)  # German HTML for the ASK's pages
        if page is not None:
            return page
        return problem_response(
            err.status, err.code, type(err).__name__, err.message, err.message_de
        )

    @app.exception_handler(GovchainError)
    async def _govchain_error(request: Request, err: GovchainError) -> JSONResponse:
        return problem_response(503, "chain-error", type(err).__name__, err.message, err.message_de)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return problem_response(
            422,
            "invalid-request",
            "Invalid request",
            f"The request is invalid at {where}: {first.get('msg')}.",
            f"Die Anfrage ist ungültig bei {where}: {first.get('msg')}.",
        )

    return app
