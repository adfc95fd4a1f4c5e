"""Credential formats: one canonical record, rendered per format.

A ``CredentialRecord`` is what an issuer decided to state (typed claims, issuer,
holder key, validity, status entry). Each ``CredentialFormat`` renders it; formats
register by name. This package provides SD-JWT VC (``dc+sd-jwt``); the agents package
registers the W3C JSON-LD rendering for ACA-Py under the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from govchain.chain.types import Did
from govchain.credentials.errors import UnsupportedFormatError
from govchain.credentials.keys import SigningKey
from govchain.credentials.sd_jwt import issue_sd_jwt
from govchain.credentials.status import StatusReference
from govchain.credentials.types import CredentialClaims, credential_type

__all__ = [
    "SD_JWT_VC_TYP",
    "CredentialFormat",
    "CredentialRecord",
    "SdJwtVcFormat",
    "credential_format",
    "credential_formats",
]

SD_JWT_VC_TYP: Final = "dc+sd-jwt"
_REGISTERED_CLAIMS: Final = frozenset(
    {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "vct", "cnf", "status", "_sd", "_sd_alg"}
)


@dataclass(frozen=True)
class CredentialRecord:
    """The canonical record of one credential, independent of its format.

    Attributes:
        vct: the credential type.
        claims: the validated claims of that type.
        issuer: the issuer's DID.
        holder_jwk: the public JWK of the holder's key (holder binding).
        issued_at: unix seconds.
        valid_from: unix seconds, or None for "from issuance".
        valid_until: unix seconds, or None for "no end".
        status: the status list entry, or None.
    """

    vct: str
    claims: CredentialClaims
    issuer: Did
    holder_jwk: Mapping[str, str]
    issued_at: int
    valid_from: int | None = None
    valid_until: int | None = None
    status: StatusReference | None = None

    def claims_json(self) -> dict[str, Any]:
        """The claims as JSON values (dates as ISO strings, levels as numbers)."""
        return self.claims.model_dump(mode="json", exclude_none=True)


_FORMATS: dict[str, CredentialFormat] = {}


class CredentialFormat(ABC):
    """One way to serialise a credential; subclasses register under ``name``."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _FORMATS[cls.name] = cls()

    @abstractmethod
    def render(self, record: CredentialRecord, key: SigningKey, kid: str) -> str:
        """The signed credential in this format."""


class SdJwtVcFormat(CredentialFormat):
    """SD-JWT VC: ``typ: dc+sd-jwt``, ``vct``, ``cnf.jwk``, ``status.status_list``.

    ``iss``, ``iat``, ``nbf``, ``exp``, ``vct``, ``cnf`` and ``status`` are always
    visible; the type's frame decides for every other claim. Every ``_sd`` array gets
    up to ``decoys`` decoy digests.
    """

    name = SD_JWT_VC_TYP
    decoys: ClassVar[int] = 2

    def render(self, record: CredentialRecord, key: SigningKey, kid: str) -> str:
        """Sign the record as an SD-JWT VC carrying every Disclosure."""
        body = record.claims_json()
        clash = _REGISTERED_CLAIMS.intersection(body)
        if clash:
            raise ValueError(f"claims may not use registered names: {sorted(clash)}")
        payload: dict[str, Any] = {
            "iss": record.issuer,
            "iat": record.issued_at,
            "vct": record.vct,
        }
        if record.valid_from is not None and record.valid_from > record.issued_at:
            payload["nbf"] = record.valid_from
        if record.valid_until is not None:
            payload["exp"] = record.valid_until
        payload["cnf"] = {"jwk": dict(record.holder_jwk)}
        if record.status is not None:
            payload["status"] = record.status.to_claim()
        payload.update(body)
        frame = credential_type(record.vct).frame
        return issue_sd_jwt(
            payload, frame, key, header={"typ": SD_JWT_VC_TYP, "kid": kid}, decoys=self.decoys
        )


def credential_format(name: str) -> CredentialFormat:
    """The registered format ``name``."""
    try:
        return _FORMATS[name]
    except KeyError as err:
        raise UnsupportedFormatError(name) from err


def credential_formats() -> list[str]:
    """The registered format names."""
    return sorted(_FORMATS)
