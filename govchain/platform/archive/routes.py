"""HTTP routes of the Digitales Stadtarchiv (thin: parse, call the service, answer): the
JSON API under ``/archive/v1`` and the auditor's pages under ``/archive/audit``."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from govchain.platform.archive.errors import ArchiveError, BagInvalidError, NotABagError
from govchain.platform.archive.evidence import load_evidence_record
from govchain.platform.archive.schemas import (
    AipDetail,
    AipSummary,
    EvidenceVerificationOut,
    FixityReport,
    PreservationEvent,
    PublicRecord,
)
from govchain.platform.archive.service import LOCAL_ZONE, ArchiveService

__all__ = ["pages", "router"]

router = APIRouter(prefix="/archive/v1", tags=["archive"])
pages = APIRouter(prefix="/archive", include_in_schema=False)

_SPOOL_IN_MEMORY = 16 * 1024 * 1024
_CHUNK = 1 << 20


def _de_date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _de_datetime(value: datetime) -> str:
    return value.astimezone(LOCAL_ZONE).strftime("%d.%m.%Y, %H:%M Uhr")


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["de_date"] = _de_date
templates.env.filters["de_datetime"] = _de_datetime


def _service(request: Request) -> ArchiveService:
    service: ArchiveService = request.app.state.archive
    return service


Service = Annotated[ArchiveService, Depends(_service)]


class _Spool:
    """The request body in a temporary file, refused beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise BagInvalidError(
                f"the handover is larger than {self.limit} bytes",
                f"die Abgabe ist größer als {self.limit} Bytes",
            )
        self.file.write(chunk)


@router.post("/sips", status_code=status.HTTP_201_CREATED, response_model=AipSummary)
async def hand_over(request: Request, service: Service) -> AipSummary:
    """Take a handover (SIP): a BagIt bag as a ZIP, either as the body
    (``application/zip``) or as the file field ``bag`` of a multipart form."""
    spool = _Spool(service.policy.max_sip_bytes)
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("bag")
            if not isinstance(upload, UploadFile):
                raise NotABagError(
                    "the form has no file field 'bag'", "dem Formular fehlt das Dateifeld 'bag'"
                )
            while chunk := await upload.read(_CHUNK):
                spool.write(chunk)
        else:
            async for chunk in request.stream():
                spool.write(chunk)
        spool.file.seek(0)
        return await run_in_threadpool(service.ingest_zip, spool.file)
    finally:
        spool.file.close()


@router.get("/aips", response_model=list[AipSummary])
def list_aips(service: Service) -> list[AipSummary]:
    """Every AIP, oldest first."""
    return service.aips()


@router.get("/aips/{aip_id}", response_model=AipDetail)
def get_aip(aip_id: str, service: Service) -> AipDetail:
    """An AIP with its files (SHA-256 and SHA-512), events and evidence status."""
    return service.aip(aip_id)


@router.get("/aips/{aip_id}/events", response_model=list[PreservationEvent])
def get_events(aip_id: str, service: Service) -> list[PreservationEvent]:
    """The AIP's preservation events."""
    return service.events(aip_id)


@router.get("/aips/{aip_id}/evidence-record")
def get_evidence_record(aip_id: str, service: Service) -> Response:
    """The evidence record (RFC 4998 structure, JSON); 409 until the first anchor is in."""
    return Response(service.evidence_record(aip_id).to_json(), media_type="application/json")


@router.post("/aips/{aip_id}/evidence-record/verify", response_model=EvidenceVerificationOut)
async def verify_evidence_record(
    aip_id: str, request: Request, service: Service
) -> EvidenceVerificationOut:
    """Verify an evidence record an auditor brings (the body) against this AIP."""
    record = load_evidence_record(await request.body())
    result = await run_in_threadpool(service.verify_evidence, aip_id, record)
    return EvidenceVerificationOut.of(aip_id, result)


@router.post("/aips/{aip_id}/fixity-checks", response_model=FixityReport)
def check_fixity(aip_id: str, service: Service) -> FixityReport:
    """Check the AIP's fixity now."""
    return service.check_fixity(aip_id)


@router.get("/public/aips/{aip_id}", response_model=PublicRecord)
def public_record(aip_id: str, service: Service) -> PublicRecord:
    """A record open to the public; 403 with the reason while it is protected."""
    return service.public_record(aip_id)


@router.get("/public/aips/{aip_id}/files/{path:path}")
def public_file(aip_id: str, path: str, service: Service) -> FileResponse:
    """A payload file of a record open to the public."""
    return FileResponse(service.public_file(aip_id, path), filename=Path(path).name)


@pages.get("/audit", response_class=HTMLResponse)
def audit_index(request: Request, service: Service) -> HTMLResponse:
    """The auditor's list of AIPs."""
    return templates.TemplateResponse(
        request, "audit_index.html", {"aips": service.aips(), "namespace": service.namespace}
    )


@pages.get("/audit/{aip_id}", response_class=HTMLResponse)
def audit_page(aip_id: str, request: Request, service: Service) -> HTMLResponse:
    """The auditor's page: an AIP's evidence record and its verification."""
    try:
        view = service.audit(aip_id)
    except ArchiveError as err:
        return templates.TemplateResponse(
            request, "error.html", {"error": err}, status_code=err.status
        )
    return templates.TemplateResponse(request, "audit.html", {"view": view})
