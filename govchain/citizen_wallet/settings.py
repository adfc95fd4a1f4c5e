"""Settings of the citizen wallet (``GOVCHAIN_`` prefix), validated at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from govchain.credentials.keys import MAX_SCRYPT_N, MIN_SCRYPT_N
from govchain.settings import GovchainSettings

__all__ = ["WalletSettings"]


class WalletSettings(GovchainSettings):
    """The citizen wallet (127.0.0.1:8103): a PIN-protected store, its mobile web UI."""

    wallet_host: str = "127.0.0.1"
    wallet_port: int = Field(default=8103, ge=1, le=65535)
    wallet_directory: Path | None = Field(
        default=None, description="Where the encrypted wallet lives; <data_dir>/wallet if unset."
    )
    wallet_scrypt_n: int = Field(default=2**15, ge=MIN_SCRYPT_N, le=MAX_SCRYPT_N)
    wallet_known_issuers: dict[str, str] = Field(
        default_factory=dict,
        description="Credential Issuer URLs the citizen trusts, with a display name.",
    )
    wallet_known_verifiers: dict[str, str] = Field(
        default_factory=dict,
        description="Verifier client_ids the citizen knows, with a display name.",
    )
    wallet_known_agents: dict[str, str] = Field(
        default_factory=dict,
        description="DIDComm service endpoints or DIDs of agents the citizen knows, "
        "with a display name (connection invitations from others get a warning).",
    )
    wallet_use_chain: bool = Field(
        default=False,
        description="Read issuer trust and credential status from the recorded deployment.",
    )
    wallet_idle_lock_seconds: float = Field(
        default=300,
        gt=0,
        le=86400,
        description="The web wallet locks itself after this long without activity.",
    )
    wallet_max_session_seconds: float = Field(
        default=8 * 3600,
        gt=0,
        le=7 * 86400,
        description="The web wallet locks itself this long after unlocking, active or not.",
    )
    wallet_http_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    wallet_allow_http: bool = Field(
        default=True, description="Accept http:// issuers and verifiers (development only)."
    )

    @property
    def wallet_dir(self) -> Path:
        """The directory of the encrypted wallet."""
        return self.wallet_directory or self.data_dir / "wallet"

    @property
    def base_url(self) -> str:
        """Where the wallet's pages are served."""
        return f"http://{self.wallet_host}:{self.wallet_port}"
