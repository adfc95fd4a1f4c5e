"""Settings of the platform app and its anchoring service (``GOVCHAIN_`` prefix)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from govchain.platform.anchoring.service import CrashPoint
from govchain.platform.archive.evidence import HashAlgorithm
from govchain.settings import GovchainSettings

__all__ = ["PlatformSettings"]


class PlatformSettings(GovchainSettings):
    """The platform app (127.0.0.1:8104) and the anchoring worker inside it."""

    platform_host: str = "127.0.0.1"
    platform_port: int = Field(default=8104, ge=1, le=65535)
    anchoring_interval_seconds: float = Field(default=10.0, gt=0)
    anchoring_batch_size: int = Field(default=1000, ge=1)
    anchoring_account: str = "anchoring-service"
    anchoring_crash_at: CrashPoint | None = Field(
        default=None,
        description="Fault injection for tests only: SIGKILL the process at this moment.",
    )

    @property
    def anchoring_dir(self) -> str:
        """Where the anchoring queue and trees live."""
        return str(self.data_dir / "anchoring")

    ask_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the ASK catalogue; default SQLite under the data dir.",
    )
    ask_csrf_secret: SecretStr | None = Field(
        default=None,
        description="Signs the ASK pages' CSRF tokens (32+ bytes); random per process if unset.",
    )

    @property
    def ask_url(self) -> str:
        """The ASK catalogue's database: ``<data_dir>/ask/ask.sqlite3`` unless configured."""
        return self.ask_database_url or f"sqlite:///{self.data_dir / 'ask' / 'ask.sqlite3'}"

    archive_city: str = Field(
        default="aachen",
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description="The city's slug; the archive anchors in namespace archive.<city>.",
    )
    archive_evidence_algorithm: HashAlgorithm = HashAlgorithm.SHA256
    archive_fixity_interval_days: float = Field(default=90.0, gt=0)
    archive_time_stamp_renewal_days: float = Field(default=5 * 365.0, gt=0)
    archive_worker_interval_seconds: float = Field(default=60.0, gt=0)
    archive_max_sip_bytes: int = Field(default=2 * 1024**3, ge=1)

    @property
    def archive_dir(self) -> str:
        """Where the archive's AIPs and database live."""
        return str(self.data_dir / "archive")
