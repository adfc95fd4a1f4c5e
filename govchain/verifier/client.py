"""The verifier's HTTP API from Python, for the CLI (``govchain verifier request`` and
``govchain verifier result``) and other services.

    client = VerifierClient("http://127.0.0.1:8102")
    created = client.create_request("strassenmusik", {"zone": "markt"})
    print(created.openid4vp_uri)          # show as QR code
    outcome = client.result(created.request_id)   # VerificationResult or Pending

    aries = client.create_didcomm_request("strassenmusik", {"zone": "markt"})
    print(aries.invitation_url)           # the out-of-band invitation for an Aries wallet
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from govchain.credentials import VerificationResult
from govchain.verifier.errors import VerifierProblemError, VerifierUnreachableError
from govchain.verifier.schemas import (
    CreatedDidcommRequestOut,
    CreatedRequestOut,
    PendingResult,
    result_from_json,
)

__all__ = ["CreatedDidcommRequestInfo", "CreatedRequestInfo", "Pending", "VerifierClient"]


@dataclass(frozen=True)
class CreatedRequestInfo:
    """A started check: keep ``request_id`` (it reads the result); show ``openid4vp_uri``."""

    request_id: str
    check: str
    title_de: str
    openid4vp_uri: str
    request_uri: str
    client_id: str
    expires_at: int


@dataclass(frozen=True)
class CreatedDidcommRequestInfo:
    """A check started over DIDComm: keep ``request_id``; show ``invitation_url``."""

    request_id: str
    check: str
    title_de: str
    invitation_url: str
    expires_at: int


@dataclass(frozen=True)
class Pending:
    """No wallet has answered yet."""

    request_id: str
    expires_at: int


class VerifierClient:
    """A thin client of ``/verifier/v1``; problems come back as ``VerifierProblemError``.

    Args:
        base_url: e.g. ``http://127.0.0.1:8102``.
        timeout: seconds per HTTP request.
        transport: an httpx transport (tests may pass one bound to an app).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> VerifierClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise VerifierUnreachableError(self.base_url, type(err).__name__) from err
        if response.status_code >= 400:
            try:
                problem = response.json()
                raise VerifierProblemError(
                    response.status_code,
                    str(problem.get("type", "")).rsplit("/", 1)[-1],
                    str(problem["detail"]),
                    str(problem.get("detail_de", problem["detail"])),
                )
            except (ValueError, KeyError, AttributeError) as err:
                raise VerifierProblemError(
                    response.status_code,
                    "http-error",
                    f"The verifier answered HTTP {response.status_code}.",
                    f"Der Prüfdienst antwortete mit HTTP {response.status_code}.",
                ) from err
        return response

    def create_request(self, check: str, params: dict[str, str | int | None]) -> CreatedRequestInfo:
        """``POST /verifier/v1/requests``: start a check."""
        response = self._call(
            "POST", "/verifier/v1/requests", json={"check": check, "params": params}
        )
        return CreatedRequestInfo(**CreatedRequestOut.model_validate(response.json()).model_dump())

    def create_didcomm_request(
        self, check: str, params: dict[str, str | int | None]
    ) -> CreatedDidcommRequestInfo:
        """``POST /verifier/v1/didcomm/requests``: start a check for an Aries wallet."""
        response = self._call(
            "POST", "/verifier/v1/didcomm/requests", json={"check": check, "params": params}
        )
        out = CreatedDidcommRequestOut.model_validate(response.json())
        return CreatedDidcommRequestInfo(
            request_id=out.request_id,
            check=out.check,
            title_de=out.title_de,
            invitation_url=out.invitation_url,
            expires_at=out.expires_at,
        )

    def result(self, request_id: str) -> VerificationResult | Pending:
        """``GET /verifier/v1/requests/{id}/result``: the result, or Pending (HTTP 202)."""
        response = self._call("GET", f"/verifier/v1/requests/{request_id}/result")
        if response.status_code == 202:
            pending = PendingResult.model_validate(response.json())
            return Pending(pending.request_id, pending.expires_at)
        return result_from_json(response.json())
