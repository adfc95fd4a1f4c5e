"""Pydantic models crossing the issuer's boundary: the officials' offer API and the
OID4VCI messages (token, nonce, credential request and response)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "PRE_AUTHORIZED_GRANT",
    "CredentialOut",
    "CredentialRequestIn",
    "IssuedCredentialOut",
    "NonceOut",
    "OfferCreated",
    "OfferIn",
    "TokenOut",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class OfferIn(BaseModel):
    """An official's (or batch job's) request for a credential offer."""

    model_config = ConfigDict(extra="forbid")

    credential_type: str = Field(
        min_length=1,
        max_length=200,
        description="A credential configuration id (e.g. street_music_permit_sd_jwt) or a vct.",
    )
    claims: dict[str, Any] = Field(description="The claims, validated by the type's model.")
    tx_code: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z]{4,12}$",
        description="A transaction code the citizen must type; sent to them separately.",
    )
    by_reference: bool = Field(
        default=False, description="Offer by credential_offer_uri instead of by value."
    )


class OfferCreated(BaseModel):
    """What the caller hands on: the offer URI (QR code or link) and, separately, the
    tx_code. The tx_code is never part of the offer."""

    offer_id: str
    configuration_id: str
    offer_uri: str
    tx_code: str | None
    expires_at: int
    page_url: str


class TokenOut(BaseModel):
    """The token response (RFC 6749 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class NonceOut(BaseModel):
    """The nonce response (OID4VCI 1.0, 7.2)."""

    c_nonce: str


class CredentialRequestIn(BaseModel):
    """The credential request (OID4VCI 1.0, 8.2); ``proof`` is the single-proof form of
    earlier drafts, still accepted."""

    model_config = ConfigDict(extra="ignore")

    credential_configuration_id: str | None = None
    credential_identifier: str | None = None
    proofs: dict[str, Any] | None = None
    proof: dict[str, Any] | None = None


class IssuedCredentialOut(BaseModel):
    """One issued credential in the credential response."""

    credential: str


class CredentialOut(BaseModel):
    """The credential response (OID4VCI 1.0, 8.3): one credential per key proof."""

    credentials: list[IssuedCredentialOut]
