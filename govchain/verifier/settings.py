"""Settings of the verifier service (``GOVCHAIN_`` prefix), validated at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from govchain.agents.settings import PLACEHOLDER_AGENT_SECRET
from govchain.settings import Environment, GovchainSettings

__all__ = ["OidcClient", "VerifierSettings"]

PLACEHOLDER_PAIRWISE_SECRET = "govchain-development-only-pairwise-secret"

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# sent by ACA-Py as x-api-key, written after "#" in its --webhook-url: URL-safe characters
_WEBHOOK_KEY = re.compile(r"^[A-Za-z0-9._~-]{16,256}$")


class OidcClient(BaseModel):
    """A service registered for "Login mit BürgerID" (a static OIDC client).

    ``client_secret_sha256`` is the hex SHA-256 of the client's (random, high-entropy)
    secret: a confidential client authenticates with it (``client_secret_basic`` or
    ``client_secret_post``); without it the client is public and PKCE alone binds the code.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name_de: str = Field(min_length=1, max_length=100, description="Shown to the citizen.")
    redirect_uris: tuple[str, ...] = Field(min_length=1)
    client_secret_sha256: str | None = None
    min_level: Literal["basisregistrierung", "substanziell", "hoch"] = "substanziell"
    sector: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._:-]{1,100}$",
        description="Pairwise sector; clients of one sector get the same sub. client_id if unset.",
    )

    @field_validator("redirect_uris")
    @classmethod
    def _absolute_uris(cls, uris: tuple[str, ...]) -> tuple[str, ...]:
        for uri in uris:
            if not re.match(r"^https?://[^\s#]+$", uri):
                raise ValueError(f"redirect URI {uri!r} must be an absolute http(s) URI")
        return uris

    @field_validator("client_secret_sha256")
    @classmethod
    def _hex_hash(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256_HEX.match(value):
            raise ValueError("client_secret_sha256 must be 64 lower-case hex digits")
        return value

    @property
    def public(self) -> bool:
        """A public client (no secret): PKCE is its only binding."""
        return self.client_secret_sha256 is None

    @property
    def pairwise_sector(self) -> str:
        """The sector the pairwise ``sub`` is computed for."""
        return self.sector or self.client_id


class VerifierSettings(GovchainSettings):
    """The verifier app (127.0.0.1:8102): OID4VP requests, responses and the field check,
    and the "Login mit BürgerID" OpenID Connect provider."""

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
    verifier_offline_fallback: bool = Field(
        default=False,
        description="Fall back to the signed offline snapshot while the chain is unreachable.",
    )
    verifier_offline_max_age_seconds: int = Field(default=43_200, ge=60, le=7 * 86_400)
    verifier_oidc_clients: tuple[OidcClient, ...] = ()
    verifier_oidc_pairwise_secret: SecretStr = SecretStr(PLACEHOLDER_PAIRWISE_SECRET)
    verifier_oidc_code_ttl_seconds: int = Field(default=60, ge=5, le=600)
    verifier_oidc_token_ttl_seconds: int = Field(default=600, ge=60, le=86400)
    verifier_agent_admin_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s?#]+$",
        description="Admin API of the verifier ACA-Py agent (DIDComm checks); unset: none.",
    )
    verifier_agent_admin_api_key: SecretStr | None = Field(
        default=None, description="The verifier agent's admin API key (never sent to browsers)."
    )
    verifier_agent_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    verifier_agent_webhook_api_key: SecretStr | None = Field(
        default=None,
        description="The key the verifier agent sends with its webhooks (x-api-key, from "
        "its --webhook-url <url>#<key>); unset: no webhooks, the agent is only polled.",
    )
    verifier_didcomm_max_open: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="How many DIDComm checks may be open at once (more: 429).",
    )

    @model_validator(mode="after")
    def _check_agent(self) -> Self:
        hook_key = self.verifier_agent_webhook_api_key
        if hook_key is not None:
            if self.verifier_agent_admin_url is None:
                raise ValueError(
                    "GOVCHAIN_VERIFIER_AGENT_WEBHOOK_API_KEY needs "
                    "GOVCHAIN_VERIFIER_AGENT_ADMIN_URL (webhooks come from the verifier agent)"
                )
            if not _WEBHOOK_KEY.match(hook_key.get_secret_value()):
                raise ValueError(
                    "GOVCHAIN_VERIFIER_AGENT_WEBHOOK_API_KEY must be 16 to 256 characters "
                    "of A-Z, a-z, 0-9 and . _ ~ - (it is written into the agent's webhook URL)"
                )
        if self.verifier_agent_admin_url is None:
            return self
        key = self.verifier_agent_admin_api_key
        if key is None or not key.get_secret_value():
            raise ValueError(
                "GOVCHAIN_VERIFIER_AGENT_ADMIN_API_KEY is required with "
                "GOVCHAIN_VERIFIER_AGENT_ADMIN_URL"
            )
        placeholder = key.get_secret_value() == PLACEHOLDER_AGENT_SECRET
        if self.environment is not Environment.DEVELOPMENT and placeholder:
            raise ValueError(
                "GOVCHAIN_VERIFIER_AGENT_ADMIN_API_KEY must be set to a real secret "
                "outside development"
            )
        return self

    @property
    def webhooks_enabled(self) -> bool:
        """Whether the verifier agent posts its webhooks to this service."""
        return self.didcomm_enabled and self.verifier_agent_webhook_api_key is not None

    @property
    def didcomm_enabled(self) -> bool:
        """Whether checks over DIDComm (through the verifier agent) can be started."""
        return self.verifier_agent_admin_url is not None

    @model_validator(mode="after")
    def _check_oidc(self) -> Self:
        ids = [c.client_id for c in self.verifier_oidc_clients]
        if len(ids) != len(set(ids)):
            raise ValueError("GOVCHAIN_VERIFIER_OIDC_CLIENTS has a client_id twice")
        placeholder = (
            self.verifier_oidc_pairwise_secret.get_secret_value() == PLACEHOLDER_PAIRWISE_SECRET
        )
        if self.environment is not Environment.DEVELOPMENT and placeholder:
            raise ValueError(
                "GOVCHAIN_VERIFIER_OIDC_PAIRWISE_SECRET must be set to a real secret "
                "outside development"
            )
        if len(self.verifier_oidc_pairwise_secret.get_secret_value()) < 32:
            raise ValueError("GOVCHAIN_VERIFIER_OIDC_PAIRWISE_SECRET needs at least 32 characters")
        return self

    @property
    def verifier_dir(self) -> Path:
        """Where the verifier's key store and request database live."""
        return self.data_dir / "verifier"

    @property
    def snapshot_path(self) -> Path:
        """Where the signed offline snapshot of status and trust is kept."""
        return self.verifier_dir / "snapshot.jwt"

    @property
    def base_url(self) -> str:
        """The verifier's public base URL, without a trailing slash."""
        url = self.verifier_public_url or f"http://{self.verifier_host}:{self.verifier_port}"
        return url.rstrip("/")
