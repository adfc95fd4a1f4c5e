"""Settings of the verifier service (``GOVCHAIN_`` prefix), validated at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from govchain.settings import GovchainSettings

__all__ = ["VerifierSettings"]


class VerifierSettings(GovchainSettings):
    """The verifier app (127.0.0.1:8102): OID4VP requests, responses and the field check."""

    verifier_host: str = "127.0.0.1"
    verifier_port: int = Field(default=8102, ge=1, le=65535)
    verifier_public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s?#]+$",
        description="Base URL wallets reach the verifier at; http://host:port if unset.",
    )
    verifier_request_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    verifier_key_id: str = Field(default="verifier-request-signing", pattern=r"^[a-z0-9-]{1,64}$")
    verifier_status_max_age_seconds: float = Field(default=1.0, ge=0)

    @property
    def verifier_dir(self) -> Path:
        """Where the verifier's key store and request database live."""
        return self.data_dir / "verifier"

    @property
    def base_url(self) -> str:
        """The verifier's public base URL, without a trailing slash."""
        url = self.verifier_public_url or f"http://{self.verifier_host}:{self.verifier_port}"
        return url.rstrip("/")
