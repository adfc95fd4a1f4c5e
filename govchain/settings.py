"""Settings shared by every govchain command and service (``GOVCHAIN_`` prefix).

Everything govchain writes lives under one data directory, ``GOVCHAIN_DATA_DIR``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from govchain.errors import SettingsError

__all__ = [
    "ChainBackendKind",
    "Environment",
    "GovchainSettings",
    "default_data_dir",
    "load_settings",
    "load_settings_of",
]


PLACEHOLDER_PASSPHRASE = "govchain-development-only"


class Environment(StrEnum):
    """Where govchain runs; placeholder secrets are refused outside development."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ChainBackendKind(StrEnum):
    """The chain backends govchain can talk to."""

    EMBEDDED = "embedded"
    GANACHE = "ganache"
    RPC = "rpc"


def default_data_dir() -> Path:
    """The XDG data directory for govchain, e.g. ``~/.local/share/govchain``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "govchain"


class GovchainSettings(BaseSettings):
    """Core settings: environment, data directory and chain connection."""

    model_config = SettingsConfigDict(env_prefix="GOVCHAIN_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(default_factory=default_data_dir)
    chain_backend: ChainBackendKind = ChainBackendKind.GANACHE
    rpc_url: str | None = None
    ganache_host: str = "127.0.0.1"
    ganache_port: int = Field(default=8545, ge=1, le=65535)
    chain_id: int = Field(default=1337, ge=1)
    node_modules: Path | None = None
    rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    receipt_timeout_seconds: float = Field(default=60.0, gt=0)
    keystore_passphrase: SecretStr = SecretStr(PLACEHOLDER_PASSPHRASE)

    @model_validator(mode="after")
    def _check_backend(self) -> Self:
        if self.chain_backend is ChainBackendKind.RPC and not self.rpc_url:
            raise ValueError("GOVCHAIN_RPC_URL is required when GOVCHAIN_CHAIN_BACKEND=rpc")
        return self

    @model_validator(mode="after")
    def _check_rpc_url(self) -> Self:
        if self.rpc_url and not self.rpc_url.startswith(("http://", "https://")):
            raise ValueError(
                f"GOVCHAIN_RPC_URL must be an http:// or https:// URL, not {self.rpc_url!r}"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        placeholder = self.keystore_passphrase.get_secret_value() == PLACEHOLDER_PASSPHRASE
        if self.environment is not Environment.DEVELOPMENT and placeholder:
            raise ValueError(
                "GOVCHAIN_KEYSTORE_PASSPHRASE must be set to a real secret outside development"
            )
        return self

    @property
    def chain_dir(self) -> Path:
        """Where chain state (ganache database, deployment records, keys) is kept."""
        return self.data_dir / "chain"

    def effective_rpc_url(self) -> str:
        """The JSON-RPC URL of the configured backend (ganache or rpc)."""
        if self.rpc_url:
            return self.rpc_url
        return f"http://{self.ganache_host}:{self.ganache_port}"


def load_settings_of[S: GovchainSettings](cls: type[S], **overrides: object) -> S:
    """Load and validate ``cls`` (the environment, then ``overrides``), turning
    validation problems into one clear error."""
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        raise SettingsError(
            f"Invalid govchain settings: {problems}.",
            f"Ungültige govchain-Einstellungen: {problems}.",
        ) from err


def load_settings(**overrides: object) -> GovchainSettings:
    """Load and validate the common settings (see ``load_settings_of``)."""
    return load_settings_of(GovchainSettings, **overrides)
