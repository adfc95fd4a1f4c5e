"""Pydantic models crossing the verifier's HTTP boundary, and the JSON form of a
``VerificationResult`` (both ways, so the CLI gets the library's own model back)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from govchain.chain.types import Did
from govchain.credentials import (
    Check,
    CheckName,
    CheckOutcome,
    Outcome,
    ReasonCode,
    VerificationResult,
)

__all__ = [
    "CheckInfo",
    "CheckOut",
    "CreateRequest",
    "CreatedDidcommRequestOut",
    "CreatedRequestOut",
    "PendingResult",
    "ResponseAccepted",
    "SnapshotOut",
    "VerificationResultOut",
    "result_from_json",
    "result_to_json",
]


class CreateRequest(BaseModel):
    """``POST /verifier/v1/requests``: which check, with which parameters."""

    model_config = ConfigDict(extra="forbid")

    check: str = Field(min_length=1, max_length=40)
    params: dict[str, str | int | None] = Field(default_factory=dict, max_length=10)


class CreatedRequestOut(BaseModel):
    """A new verification request: its id (keep it: it reads the result) and what the
    wallet scans."""

    request_id: str
    check: str
    title_de: str
    openid4vp_uri: str
    request_uri: str
    client_id: str
    expires_at: int


class CreatedDidcommRequestOut(BaseModel):
    """A new check over DIDComm: its id (keep it: it reads the result) and the
    out-of-band invitation an Aries wallet scans (``invitation_url``, ``?oob=``)."""

    request_id: str
    check: str
    title_de: str
    channel: Literal["didcomm"] = "didcomm"
    invitation_url: str
    invitation: dict[str, Any]
    expires_at: int


class CheckInfo(BaseModel):
    """One check an official can start, with its parameters' JSON Schema."""

    name: str
    label_de: str
    label_en: str
    vct: str
    params_schema: dict[str, Any]


class PendingResult(BaseModel):
    """The answer while no wallet has responded yet (HTTP 202)."""

    request_id: str
    status: Literal["pending"] = "pending"
    expires_at: int
    channel: Literal["oid4vp", "didcomm"] = "oid4vp"
    stage: Literal["invited", "requested"] | None = Field(
        default=None,
        description="DIDComm: invited (no wallet connected yet) or requested (connected, "
        "presentation asked for).",
    )


class ResponseAccepted(BaseModel):
    """The verifier's answer to a wallet's direct_post (OID4VP 1.0, 8.2): an empty
    object; there is no redirect for a same-place field check."""

    model_config = ConfigDict(extra="forbid")


class CheckOut(BaseModel):
    """One check of a verification with its reason in German and English."""

    name: CheckName
    outcome: CheckOutcome
    reason_code: ReasonCode
    message_de: str
    message_en: str


class VerificationResultOut(BaseModel):
    """``VerificationResult`` as JSON; ``claims`` holds only what the check asked for."""

    outcome: Outcome
    valid: bool
    vct: str | None = None
    issuer: str | None = None
    issued_at: int | None = None
    checks: list[CheckOut]
    claims: dict[str, Any] | None = None
    offline_as_of: int | None = Field(
        default=None, description="Checked offline against the snapshot taken at this time."
    )


def result_to_json(result: VerificationResult) -> dict[str, Any]:
    """The JSON form of a result, claims included (``VerificationResultOut``'s shape).

    Built directly (no pydantic round trip): it runs once per wallet response.
    """
    return {
        "outcome": result.outcome.value,
        "valid": result.outcome is Outcome.VALID,
        "vct": result.vct,
        "issuer": str(result.issuer) if result.issuer is not None else None,
        "issued_at": result.issued_at,
        "checks": [
            {
                "name": c.name.value,
                "outcome": c.outcome.value,
                "reason_code": c.reason_code.value,
                "message_de": c.message_de,
                "message_en": c.message_en,
            }
            for c in result.checks
        ],
        "claims": dict(result.claims) if result.claims is not None else None,
        "offline_as_of": None,
    }


def result_from_json(data: dict[str, Any]) -> VerificationResult:
    """A result back from its JSON form (e.g. in the CLI)."""
    parsed = VerificationResultOut.model_validate(data)
    return VerificationResult(
        outcome=parsed.outcome,
        checks=tuple(
            Check(c.name, c.outcome, c.reason_code, c.message_de, c.message_en)
            for c in parsed.checks
        ),
        vct=parsed.vct,
        issuer=Did(parsed.issuer) if parsed.issuer is not None else None,
        issued_at=parsed.issued_at,
        claims=parsed.claims,
    )


class SnapshotOut(BaseModel):
    """A signed offline snapshot (JWT, ``typ: govchain-verifier-snapshot+jwt``)."""

    snapshot: str
