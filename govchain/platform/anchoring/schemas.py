"""What crosses the anchoring service's HTTP boundary."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "NamespaceStatusOut",
    "PendingReceipt",
    "ServiceStatus",
    "SubmitRequest",
    "SubmitResponse",
]

MAX_BATCH = 10_000


class SubmitRequest(BaseModel):
    """Document hashes to anchor: SHA-256, 64 hex digits each."""

    model_config = ConfigDict(extra="forbid")

    hashes: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class SubmitResponse(BaseModel):
    """The receipt ids, in the order the hashes were sent."""

    namespace: str
    receipt_ids: list[str]


class PendingReceipt(BaseModel):
    """A receipt whose hash is accepted but not anchored yet."""

    receipt_id: str
    status: str = "pending"


class NamespaceStatusOut(BaseModel):
    """A namespace's log size, anchored size and backlog."""

    namespace: str
    size: int
    anchored: int
    backlog: int
    last_anchor_block: int | None


class ServiceStatus(BaseModel):
    """The anchoring service at a glance."""

    chain_reachable: bool
    last_error: str | None
    backlog: int
    namespaces: list[NamespaceStatusOut]
