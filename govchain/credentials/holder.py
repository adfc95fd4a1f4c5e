"""The holder's side: see what a credential can disclose, present a chosen part of it
with key binding."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from govchain.credentials.jose import parse_compact_jws
from govchain.credentials.keys import SigningKey
from govchain.credentials.sd_jwt import (
    ClaimPath,
    Disclosure,
    disclosure_paths,
    present,
    process_disclosures,
    split_sd_jwt,
)

__all__ = ["disclosable_claims", "present_credential", "stored_claims"]


def disclosable_claims(credential: str) -> list[ClaimPath]:
    """The paths of every selectively disclosable claim in a credential, in order."""
    parts = split_sd_jwt(credential)
    jws = parse_compact_jws(parts.issuer_jwt)
    parsed = [Disclosure.parse(d) for d in parts.disclosures]
    return list(disclosure_paths(jws.payload, parsed).values())


def stored_claims(credential: str) -> dict[str, Any]:
    """All claims of a credential as the wallet shows them (every Disclosure applied)."""
    parts = split_sd_jwt(credential)
    claims, _ = process_disclosures(parse_compact_jws(parts.issuer_jwt).payload, parts.disclosures)
    return claims


def present_credential(
    credential: str,
    *,
    disclose: Iterable[ClaimPath],
    holder_key: SigningKey,
    nonce: str,
    audience: str,
    issued_at: int | None = None,
) -> str:
    """An SD-JWT+KB revealing only ``disclose`` (and what encloses it), bound to the
    verifier's ``nonce`` and ``audience`` by a KB-JWT signed with ``holder_key``."""
    return present(
        credential,
        disclose=disclose,
        holder_key=holder_key,
        nonce=nonce,
        audience=audience,
        issued_at=int(time.time()) if issued_at is None else issued_at,
    )
