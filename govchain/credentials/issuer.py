"""Issuing credentials: validate the record, draw a status index, render and sign."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from govchain.chain.types import Did
from govchain.credentials.dids import create_did, resolve_did
from govchain.credentials.formats import SD_JWT_VC_TYP, CredentialRecord, credential_format
from govchain.credentials.keys import PublicKey, SigningKey
from govchain.credentials.status import IndexAllocator, StatusReference
from govchain.credentials.types import CredentialClaims, credential_type, credential_types

__all__ = ["IssuedCredential", "Issuer", "StatusListAllocation"]


@dataclass
class StatusListAllocation:
    """The status list an issuer currently draws entries from."""

    uri: str
    allocator: IndexAllocator

    def allocate(self) -> StatusReference:
        """A fresh, random, never reused entry."""
        return StatusReference(self.uri, self.allocator.allocate())


@dataclass(frozen=True)
class IssuedCredential:
    """A signed credential and what the issuer keeps about it (no personal data)."""

    format: str
    vct: str
    serialized: str
    status: StatusReference | None
    issued_at: int
    valid_until: int | None


def _type_of(claims: CredentialClaims) -> str:
    for candidate in credential_types():
        if isinstance(claims, candidate.model):
            return candidate.vct
    raise ValueError(f"{type(claims).__name__} belongs to no registered credential type")


class Issuer:
    """An issuer office's signing side: its key, its DID and its current status list.

    Args:
        key: the signing key (from a key store).
        did: the issuer DID; by default the did:jwk of ``key``.
        status_list: where status entries come from; None issues without status.
        clock: unix seconds (tests and the demo pass the chain's clock, which the
            TrustRegistry compares issuance times with).
        format_name: the credential format to render.
    """

    def __init__(
        self,
        key: SigningKey,
        *,
        did: Did | None = None,
        status_list: StatusListAllocation | None = None,
        clock: Callable[[], float] = time.time,
        format_name: str = SD_JWT_VC_TYP,
    ) -> None:
        self.key = key
        self.did = did or create_did(key.public_key)
        document = resolve_did(self.did)
        if document.key != key.public_key:
            raise ValueError("the DID does not belong to the signing key")
        self.kid = document.verification_methods[0].id
        self.status_list = status_list
        self._clock = clock
        self._format = credential_format(format_name)

    def issue(
        self,
        claims: CredentialClaims | Mapping[str, Any],
        *,
        holder: PublicKey | Mapping[str, str],
        vct: str | None = None,
        valid_from: int | None = None,
        valid_until: int | None = None,
    ) -> IssuedCredential:
        """Validate, allocate a status entry, and sign one credential.

        ``valid_from``/``valid_until`` default to what the claims imply (e.g. a
        permit's dates); a record that breaks its type's rules raises
        ClaimValidationError before anything is allocated.
        """
        if vct is None:
            if not isinstance(claims, CredentialClaims):
                raise ValueError("give the vct for claims passed as a mapping")
            vct = _type_of(claims)
        ctype = credential_type(vct)
        record_claims = ctype.parse(claims)
        implied_from, implied_until = ctype.validity(record_claims)
        holder_jwk = holder.jwk if isinstance(holder, PublicKey) else PublicKey(holder).jwk
        issued_at = int(self._clock())
        status = self.status_list.allocate() if self.status_list is not None else None
        record = CredentialRecord(
            vct=vct,
            claims=record_claims,
            issuer=self.did,
            holder_jwk=holder_jwk,
            issued_at=issued_at,
            valid_from=valid_from if valid_from is not None else implied_from,
            valid_until=valid_until if valid_until is not None else implied_until,
            status=status,
        )
        return IssuedCredential(
            format=self._format.name,
            vct=vct,
            serialized=self._format.render(record, self.key, self.kid),
            status=status,
            issued_at=issued_at,
            valid_until=record.valid_until,
        )
