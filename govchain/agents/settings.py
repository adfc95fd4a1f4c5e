"""Settings of the ACA-Py agents (``GOVCHAIN_AGENTS_`` names), validated at start."""

from __future__ import annotations

import re
import secrets
import socket
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import Field, SecretStr, model_validator

from govchain.settings import Environment, GovchainSettings

__all__ = ["AgentRole", "AgentSettings", "AgentStorageKind", "default_acapy_executable"]

PLACEHOLDER_AGENT_SECRET = "govchain-agents-development-only"


class AgentRole(StrEnum):
    """The three agents govchain runs."""

    ISSUER = "issuer"
    HOLDER = "holder"
    VERIFIER = "verifier"


class AgentStorageKind(StrEnum):
    """Where askar keeps the wallets: SQLite files under the data directory, or PostgreSQL."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


def default_acapy_executable() -> Path:
    """``aca-py`` in the repository's ``.venv-agents`` (made by scripts/bootstrap-agents.sh)."""
    return Path(__file__).resolve().parents[2] / ".venv-agents" / "bin" / "aca-py"


def _free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _placeholder() -> SecretStr:
    return SecretStr(PLACEHOLDER_AGENT_SECRET)


# ACA-Py's ``--webhook-url <url#api_key>``: posts go to ``<url>/topic/<topic>/`` with the
# part after ``#`` as the ``x-api-key`` header
_WEBHOOK_URL = re.compile(r"^https?://[^\s#]+(#[^\s#]+)?$")


class AgentSettings(GovchainSettings):
    """Ports, secrets and storage of the issuer, holder (multitenant) and verifier agents."""

    agents_host: str = "127.0.0.1"
    agents_issuer_admin_port: int = Field(default=8031, ge=1, le=65535)
    agents_issuer_inbound_port: int = Field(default=8030, ge=1, le=65535)
    agents_holder_admin_port: int = Field(default=8041, ge=1, le=65535)
    agents_holder_inbound_port: int = Field(default=8040, ge=1, le=65535)
    agents_verifier_admin_port: int = Field(default=8051, ge=1, le=65535)
    agents_verifier_inbound_port: int = Field(default=8050, ge=1, le=65535)
    agents_webhook_port: int = Field(default=8039, ge=1, le=65535)
    agents_contexts_port: int = Field(default=8038, ge=1, le=65535)
    agents_issuer_admin_api_key: SecretStr = Field(default_factory=_placeholder)
    agents_holder_admin_api_key: SecretStr = Field(default_factory=_placeholder)
    agents_verifier_admin_api_key: SecretStr = Field(default_factory=_placeholder)
    agents_wallet_key: SecretStr = Field(default_factory=_placeholder)
    agents_holder_jwt_secret: SecretStr = Field(default_factory=_placeholder)
    agents_storage: AgentStorageKind = AgentStorageKind.SQLITE
    agents_postgres_url: str | None = Field(
        default=None, description="host:port of PostgreSQL when agents_storage=postgres"
    )
    agents_postgres_account: str | None = None
    agents_postgres_password: SecretStr | None = None
    agents_executable: Path = Field(default_factory=default_acapy_executable)
    agents_start_timeout_seconds: float = Field(default=90.0, gt=0)
    agents_log_level: str = Field(default="info", pattern=r"^(debug|info|warning|error)$")
    agents_issuer_extra_webhooks: tuple[SecretStr, ...] = Field(
        default=(), description="More webhook targets of the issuer agent (url#api_key)."
    )
    agents_holder_extra_webhooks: tuple[SecretStr, ...] = Field(
        default=(), description="More webhook targets of the holder agent (url#api_key)."
    )
    agents_verifier_extra_webhooks: tuple[SecretStr, ...] = Field(
        default=(),
        description="More webhook targets of the verifier agent (url#api_key), e.g. the "
        "verifier service's /verifier/v1/didcomm/webhooks.",
    )

    @classmethod
    def ephemeral(cls, data_dir: Path, **overrides: Any) -> Self:
        """Agents on free loopback ports with fresh random secrets, under ``data_dir``:
        for the demo, the benchmarks and the tests (nothing is meant to be kept)."""
        ports = _free_ports(8)
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "agents_webhook_port": ports[6],
            "agents_contexts_port": ports[7],
            "agents_wallet_key": secrets.token_urlsafe(24),
            "agents_holder_jwt_secret": secrets.token_urlsafe(24),
        }
        for n, role in enumerate(AgentRole):
            values[f"agents_{role}_admin_port"] = ports[2 * n]
            values[f"agents_{role}_inbound_port"] = ports[2 * n + 1]
            values[f"agents_{role}_admin_api_key"] = secrets.token_urlsafe(24)
        values.update(overrides)
        return cls(**values)

    @model_validator(mode="after")
    def _check_agents(self) -> Self:
        secrets = {
            "GOVCHAIN_AGENTS_ISSUER_ADMIN_API_KEY": self.agents_issuer_admin_api_key,
            "GOVCHAIN_AGENTS_HOLDER_ADMIN_API_KEY": self.agents_holder_admin_api_key,
            "GOVCHAIN_AGENTS_VERIFIER_ADMIN_API_KEY": self.agents_verifier_admin_api_key,
            "GOVCHAIN_AGENTS_WALLET_KEY": self.agents_wallet_key,
            "GOVCHAIN_AGENTS_HOLDER_JWT_SECRET": self.agents_holder_jwt_secret,
        }
        if self.environment is not Environment.DEVELOPMENT:
            for name, value in secrets.items():
                if value.get_secret_value() == PLACEHOLDER_AGENT_SECRET:
                    raise ValueError(f"{name} must be set to a real secret outside development")
        if self.agents_storage is AgentStorageKind.POSTGRES and not (
            self.agents_postgres_url
            and self.agents_postgres_account
            and self.agents_postgres_password
        ):
            raise ValueError(
                "GOVCHAIN_AGENTS_POSTGRES_URL, _ACCOUNT and _PASSWORD are required "
                "when GOVCHAIN_AGENTS_STORAGE=postgres"
            )
        for role in AgentRole:
            for number, url in enumerate(self.extra_webhooks(role), start=1):
                if not _WEBHOOK_URL.match(url.get_secret_value()):
                    # the value may hold an API key: name the entry, never show it
                    raise ValueError(
                        f"GOVCHAIN_AGENTS_{role.value.upper()}_EXTRA_WEBHOOKS: entry {number} "
                        "is not an http(s) URL with an optional #api_key"
                    )
        ports = [
            self.agents_issuer_admin_port,
            self.agents_issuer_inbound_port,
            self.agents_holder_admin_port,
            self.agents_holder_inbound_port,
            self.agents_verifier_admin_port,
            self.agents_verifier_inbound_port,
            self.agents_webhook_port,
            self.agents_contexts_port,
        ]
        if len(set(ports)) != len(ports):
            raise ValueError(
                "the agents' admin, inbound, webhook and contexts ports must all differ"
            )
        return self

    @property
    def agents_dir(self) -> Path:
        """Everything the agents write: wallets (SQLite) and logs."""
        return self.data_dir / "agents"

    def admin_port(self, role: AgentRole) -> int:
        """The admin API port of one agent."""
        return {
            AgentRole.ISSUER: self.agents_issuer_admin_port,
            AgentRole.HOLDER: self.agents_holder_admin_port,
            AgentRole.VERIFIER: self.agents_verifier_admin_port,
        }[role]

    def inbound_port(self, role: AgentRole) -> int:
        """The DIDComm inbound port of one agent."""
        return {
            AgentRole.ISSUER: self.agents_issuer_inbound_port,
            AgentRole.HOLDER: self.agents_holder_inbound_port,
            AgentRole.VERIFIER: self.agents_verifier_inbound_port,
        }[role]

    def admin_api_key(self, role: AgentRole) -> SecretStr:
        """The admin API key of one agent (never logged)."""
        return {
            AgentRole.ISSUER: self.agents_issuer_admin_api_key,
            AgentRole.HOLDER: self.agents_holder_admin_api_key,
            AgentRole.VERIFIER: self.agents_verifier_admin_api_key,
        }[role]

    def extra_webhooks(self, role: AgentRole) -> tuple[SecretStr, ...]:
        """Webhook targets of one agent besides govchain's own receiver (``url#api_key``;
        secret, as the key is part of the value)."""
        return {
            AgentRole.ISSUER: self.agents_issuer_extra_webhooks,
            AgentRole.HOLDER: self.agents_holder_extra_webhooks,
            AgentRole.VERIFIER: self.agents_verifier_extra_webhooks,
        }[role]

    def admin_url(self, role: AgentRole) -> str:
        """The admin API base URL of one agent."""
        return f"http://{self.agents_host}:{self.admin_port(role)}"
