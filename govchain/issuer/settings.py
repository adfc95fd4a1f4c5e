"""Settings of the issuer service (``GOVCHAIN_`` prefix), validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from govchain.credentials.errors import StatusReferenceError
from govchain.credentials.keys import MAX_SCRYPT_N, MIN_SCRYPT_N
from govchain.credentials.status import MIN_LIST_SIZE, StatusListUri
from govchain.settings import Environment, GovchainSettings

__all__ = ["DEFAULT_OFFICES", "IssuerSettings", "Office"]


class Office(BaseModel):
    """An office of the city in the console: its officials see and act only on its
    applications, credentials, enrolments and landlords. ``types`` are the credential
    configuration ids it issues."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name_de: str = Field(min_length=1, max_length=120)
    types: tuple[str, ...] = Field(min_length=1)


DEFAULT_OFFICES = (
    Office(
        id="ordnungsamt-aachen",
        name_de="Ordnungsamt Aachen",
        types=("dangerous_dog_permit_sd_jwt", "street_music_permit_sd_jwt"),
    ),
    Office(
        id="buergeramt-aachen",
        name_de="Bürgeramt Aachen",
        types=("citizen_id_sd_jwt", "landlord_confirmation_sd_jwt"),
    ),
)


class IssuerSettings(GovchainSettings):
    """The issuer service (127.0.0.1:8101): OID4VCI endpoints, offers, audit log."""

    issuer_host: str = "127.0.0.1"
    issuer_port: int = Field(default=8101, ge=1, le=65535)
    issuer_url: str = Field(
        default="",
        description="The Credential Issuer Identifier (the public base URL); by default "
        "http://<host>:<port>. Outside development it must be https.",
    )
    issuer_name_de: str = "Ordnungsamt Aachen"
    issuer_name_en: str = "Public Order Office Aachen"
    issuer_key_id: str = Field(default="office-signing-key", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    issuer_key_scrypt_n: int = Field(default=2**17, ge=MIN_SCRYPT_N, le=MAX_SCRYPT_N)
    issuer_status_list_uri: str | None = Field(
        default=None,
        description="The office's status list on chain (created by the office admin); "
        "credentials are issued only once it is set.",
    )
    issuer_status_list_size: int = Field(default=MIN_LIST_SIZE, ge=MIN_LIST_SIZE)
    issuer_database_url: str | None = None
    issuer_offer_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    issuer_access_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    issuer_nonce_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    issuer_proof_max_age_seconds: int = Field(default=300, ge=10, le=3600)
    issuer_tx_code_max_attempts: int = Field(default=5, ge=1, le=20)
    issuer_batch_size: int = Field(default=3, ge=1, le=20)
    issuer_anchoring_namespace: str = Field(
        default="issuer.aachen", pattern=r"^[a-z0-9][a-z0-9._-]{0,127}$"
    )
    issuer_offices: tuple[Office, ...] = DEFAULT_OFFICES
    issuer_oidc_provider: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s?#]+[^/]$",
        description='The issuer URL of "Login mit BürgerID" (e.g. http://127.0.0.1:8102/oidc); '
        "without it nobody can log in to the console.",
    )
    issuer_oidc_client_id: str = Field(
        default="ausstellungsdienst", pattern=r"^[A-Za-z0-9._-]{1,64}$"
    )
    issuer_oidc_client_secret: SecretStr | None = None
    issuer_session_ttl_seconds: int = Field(default=8 * 3600, ge=300, le=86_400)
    issuer_csrf_secret: SecretStr | None = Field(
        default=None,
        description="Signs the forms' anti-forgery tokens (random per process if unset).",
    )
    issuer_upload_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    issuer_status_account: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="Keystore label (<data>/chain/keys) of the account that owns the status "
        "list; suspension and revocation write through it.",
    )
    issuer_agent_did: str | None = Field(
        default=None,
        pattern=r"^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{40,60}$",
        description="The issuer ACA-Py agent's did:key (Ed25519) that signs the JSON-LD "
        "credentials issued over DIDComm; it must be registered in the TrustRegistry for "
        "the office. Without it the DIDComm channel is off. The agent's admin URL and API "
        "key are the GOVCHAIN_AGENTS_* settings.",
    )
    issuer_didcomm_invitation_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    issuer_didcomm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    issuer_didcomm_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    issuer_registration_per_client_per_minute: int = Field(
        default=5,
        ge=1,
        le=10_000,
        description="Self-registrations (Basisregistrierung) one client address may make a "
        "minute; more are refused with 429 (each takes a status list entry).",
    )
    issuer_registration_per_minute: int = Field(
        default=60,
        ge=1,
        le=100_000,
        description="Self-registrations all clients together may make a minute.",
    )
    issuer_login_pending_per_client: int = Field(default=20, ge=1, le=10_000)
    issuer_login_pending_max: int = Field(default=5000, ge=10, le=1_000_000)
    issuer_form_max_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=10 * 1024 * 1024,
        description="The largest request body of a console form (uploads: the upload "
        "limit plus 64 KiB); larger bodies are refused with 413 before they are read.",
    )
    issuer_activation_ttl_seconds: int = Field(
        default=14 * 86_400,
        ge=600,
        le=90 * 86_400,
        description="How long an official's or landlord's one-time activation code is valid.",
    )
    issuer_activation_max_attempts: int = Field(default=5, ge=1, le=20)

    @model_validator(mode="after")
    def _check_issuer(self) -> Self:
        if self.issuer_status_list_uri is not None:
            try:
                StatusListUri.parse(self.issuer_status_list_uri)
            except StatusReferenceError as err:
                raise ValueError(
                    "GOVCHAIN_ISSUER_STATUS_LIST_URI is not a govchain status list URI"
                ) from err
        url = self.credential_issuer
        if not url.startswith(("http://", "https://")) or url.endswith("/"):
            raise ValueError("GOVCHAIN_ISSUER_URL must be an http(s) URL without trailing '/'")
        if self.environment is not Environment.DEVELOPMENT and not url.startswith("https://"):
            raise ValueError("GOVCHAIN_ISSUER_URL must be an https URL outside development")
        ids = [o.id for o in self.issuer_offices]
        if len(set(ids)) != len(ids):
            raise ValueError("GOVCHAIN_ISSUER_OFFICES: office ids must be unique")
        types = [t for o in self.issuer_offices for t in o.types]
        if len(set(types)) != len(types):
            raise ValueError("GOVCHAIN_ISSUER_OFFICES: each credential type belongs to one office")
        if self.issuer_csrf_secret is not None and len(self.issuer_csrf_secret) < 32:
            raise ValueError("GOVCHAIN_ISSUER_CSRF_SECRET must be at least 32 characters long")
        return self

    @property
    def credential_issuer(self) -> str:
        """The Credential Issuer Identifier: what proofs name as ``aud``."""
        return self.issuer_url or f"http://{self.issuer_host}:{self.issuer_port}"

    @property
    def issuer_dir(self) -> Path:
        """Everything the issuer writes: database, office key, status allocations."""
        return self.data_dir / "issuer"

    @property
    def issuer_db_url(self) -> str:
        """The issuer's database: ``<data_dir>/issuer/issuer.sqlite3`` unless configured."""
        return self.issuer_database_url or f"sqlite:///{self.issuer_dir / 'issuer.sqlite3'}"

    @property
    def development(self) -> bool:
        """Whether development-only mechanisms (the official header) are allowed."""
        return self.environment is Environment.DEVELOPMENT

    @property
    def oidc_redirect_uri(self) -> str:
        """Where "Login mit BürgerID" sends the browser back to (register it there)."""
        return f"{self.credential_issuer}/issuer/anmeldung/rueckkehr"

    @property
    def didcomm(self) -> bool:
        """Whether the DIDComm channel (issuer ACA-Py agent) is configured."""
        return self.issuer_agent_did is not None

    def office(self, office_id: str) -> Office | None:
        """The configured office with this id."""
        return next((o for o in self.issuer_offices if o.id == office_id), None)

    def office_for_type(self, configuration_id: str) -> Office | None:
        """The office that issues this credential configuration."""
        return next((o for o in self.issuer_offices if configuration_id in o.types), None)
