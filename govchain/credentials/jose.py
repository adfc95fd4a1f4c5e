"""Compact JWS (RFC 7515) for govchain's credentials: ES256 and EdDSA only.

The verifier's first line of defence is here: ``alg: none`` and every symmetric or
unlisted algorithm (``HS256`` key confusion, RSA, ...) are refused before any key is
touched, and the algorithm must fit the key (an ES256 header never verifies against an
Ed25519 key or vice versa).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from govchain.credentials._encoding import (
    b64url_decode,
    b64url_encode,
    json_compact,
    json_loads_strict,
)
from govchain.credentials._reasons import ReasonCode
from govchain.credentials.errors import InvalidCredentialError
from govchain.credentials.keys import PublicKey, SigningKey

__all__ = ["ALLOWED_ALGS", "CompactJws", "parse_compact_jws", "sign_compact_jws"]

ALLOWED_ALGS: Final = frozenset({"ES256", "EdDSA"})


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A parsed compact JWS whose signature has not been checked yet."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        """The header's algorithm (already checked against the allow-list)."""
        return str(self.header["alg"])

    def verify_with(self, key: PublicKey) -> bool:
        """Whether the signature is valid under ``key`` (whose algorithm must match)."""
        return key.alg == self.alg and key.verify(self.signature, self.signing_input)


def _object(segment: str) -> dict[str, Any]:
    value = json_loads_strict(b64url_decode(segment))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _shown(value: object) -> str:
    """A header value for a message: attacker-chosen, so kept short."""
    if not isinstance(value, str):
        return f"({type(value).__name__})"
    return value if len(value) <= 40 else value[:39] + "…"


def parse_compact_jws(
    token: str,
    *,
    malformed: ReasonCode = ReasonCode.MALFORMED,
    alg_reason: ReasonCode | None = None,
) -> CompactJws:
    """Split and decode a compact JWS with a JSON payload, refusing unsafe algorithms.

    Args:
        token: ``header.payload.signature``.
        malformed: the reason code to report for an unreadable token (the key-binding
            JWT reports its own).
        alg_reason: if set, report every algorithm problem with this code instead of
            ``alg_none`` / ``alg_not_allowed``.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidCredentialError(malformed, detail="not a compact JWS")
    try:
        header = _object(parts[0])
        payload = _object(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise InvalidCredentialError(malformed, detail="undecodable JWS") from err
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
        if alg_reason is not None:
            raise InvalidCredentialError(alg_reason, detail=f"alg {_shown(alg)}")
        if alg is None or (isinstance(alg, str) and alg.lower() == "none"):
            raise InvalidCredentialError(ReasonCode.ALG_NONE)
        raise InvalidCredentialError(ReasonCode.ALG_NOT_ALLOWED, alg=_shown(alg))
    if "crit" in header:
        # RFC 7515, 4.1.11: unknown critical extensions must be refused; we know none.
        raise InvalidCredentialError(malformed, detail="unsupported crit header")
    return CompactJws(
        header=header,
        payload=payload,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=signature,
    )


def sign_compact_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: SigningKey) -> str:
    """A compact JWS over ``payload``; ``alg`` is set from the key."""
    fields = {"alg": key.alg, **{k: v for k, v in header.items() if k != "alg"}}
    protected = b64url_encode(json_compact(fields).encode())
    body = b64url_encode(json_compact(dict(payload)).encode())
    signing_input = f"{protected}.{body}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"
