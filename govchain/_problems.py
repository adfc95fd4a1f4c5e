"""RFC 9457 problem details, the one error format every govchain HTTP service answers in.

Beside the standard members (``type``, ``title``, ``status``, ``detail``) each problem
carries ``detail_de``, the same sentence in German, because a person reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse

__all__ = ["PROBLEM_MEDIA_TYPE", "problem_members", "problem_response"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://govchain.example/problems/"


def problem_members(
    status: int, code: str, title: str, detail: str, detail_de: str
) -> dict[str, object]:
    """The members of a problem document."""
    return {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "detail_de": detail_de,
    }


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    detail_de: str,
    *,
    extra: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem response; ``extra`` adds members (e.g. an OAuth ``error`` code)."""
    body = problem_members(status, code, title, detail, detail_de)
    if extra:
        body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {})
    )
