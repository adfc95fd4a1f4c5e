"""HTTP routes of the anchoring service (thin: parse, call the service, answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from govchain.platform.anchoring.errors import MalformedHashError
from govchain.platform.anchoring.schemas import (
    MAX_BATCH,
    NamespaceStatusOut,
    PendingReceipt,
    ServiceStatus,
    SubmitRequest,
    SubmitResponse,
)
from govchain.platform.anchoring.service import AnchoringService, parse_hash
from govchain.platform.anchoring.worker import AnchoringWorker

__all__ = ["router"]

router = APIRouter(prefix="/anchoring/v1", tags=["anchoring"])


def _service(request: Request) -> AnchoringService:
    service: AnchoringService = request.app.state.anchoring
    return service


def _worker(request: Request) -> AnchoringWorker | None:
    worker: AnchoringWorker | None = request.app.state.anchoring_worker
    return worker


Service = Annotated[AnchoringService, Depends(_service)]
Worker = Annotated[AnchoringWorker | None, Depends(_worker)]


@router.post(
    "/namespaces/{namespace}/hashes",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmitResponse,
)
def submit_hashes(
    namespace: str, body: SubmitRequest, service: Service, worker: Worker
) -> SubmitResponse:
    """Accept document hashes (JSON) durably; the receipt ids come back at once."""
    ids = service.submit_many(namespace, [parse_hash(h) for h in body.hashes])
    if worker is not None:
        worker.nudge()
    return SubmitResponse(namespace=namespace, receipt_ids=ids)


@router.post(
    "/namespaces/{namespace}/hashes:binary",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmitResponse,
)
async def submit_binary(
    namespace: str, request: Request, service: Service, worker: Worker
) -> SubmitResponse:
    """Accept hashes as raw bytes, 32 per hash (``application/octet-stream``), for bulk."""
    body = await request.body()
    if not body or len(body) % 32:
        raise MalformedHashError(
            f"<{len(body)} bytes>", "the body must be a non-empty multiple of 32 bytes"
        )
    if len(body) // 32 > MAX_BATCH:
        raise MalformedHashError(f"<{len(body)} bytes>", f"at most {MAX_BATCH} hashes a request")
    hashes = [body[i : i + 32] for i in range(0, len(body), 32)]
    ids = service.submit_many(namespace, hashes)
    if worker is not None:
        worker.nudge()
    return SubmitResponse(namespace=namespace, receipt_ids=ids)


@router.get("/receipts/{receipt_id}", responses={202: {"model": PendingReceipt}})
def get_receipt(receipt_id: str, service: Service) -> Response:
    """The full receipt once anchored (200), or 202 while it waits."""
    receipt = service.receipt(receipt_id)
    if receipt is None:
        return JSONResponse(
            PendingReceipt(receipt_id=receipt_id).model_dump(), status_code=status.HTTP_202_ACCEPTED
        )
    return Response(receipt.to_json(), media_type="application/json")


@router.get("/status", response_model=ServiceStatus)
def get_status(service: Service) -> ServiceStatus:
    """Backlog per namespace and whether the chain is reachable."""
    rows = service.status()
    return ServiceStatus(
        chain_reachable=service.chain is not None and service.last_error is None,
        last_error=service.last_error,
        backlog=sum(r.backlog for r in rows),
        namespaces=[NamespaceStatusOut(**r.__dict__) for r in rows],
    )
