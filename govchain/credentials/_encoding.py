"""base64url, compact JSON and digests as the JOSE and SD-JWT specifications use them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any, Final

__all__ = [
    "MAX_JSON_DEPTH",
    "b64url_decode",
    "b64url_encode",
    "json_compact",
    "json_loads_strict",
    "sha256_b64url",
]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
MAX_JSON_DEPTH: Final = 64
"""How deeply the JSON of a token may nest (real credentials stay below 10)."""


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding: only the URL-safe alphabet, no padding, no whitespace,
    and no stray bits in the last character.

    Python's decoder silently skips foreign characters and ignores unused trailing
    bits; a verifier must not, so a tampered string cannot decode to the same bytes as
    the original (every byte string has exactly one accepted encoding).
    """
    if len(text) % 4 == 1 or not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as err:
        raise ValueError("not base64url") from err
    if len(text) % 4 and b64url_encode(data) != text:
        raise ValueError("not canonical base64url (non-zero trailing bits)")
    return data


def json_compact(value: Any) -> str:
    """JSON without insignificant whitespace, UTF-8 characters kept as they are."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key[:40]!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_depth(value: Any, limit: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise ValueError(f"nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children)


def json_loads_strict(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON from a token the way a verifier must: duplicate member names,
    ``NaN``/``Infinity`` and nesting deeper than ``max_depth`` are refused.

    Duplicate names would let two parsers read two different claims from one signed
    payload (RFC 7515, 5.2; RFC 9901, 7.1). Raises ValueError (also for input so deep
    that the parser itself gives up).
    """
    try:
        value = json.loads(data, object_pairs_hook=_unique_object, parse_constant=_no_constant)
    except RecursionError as err:
        raise ValueError(f"nested deeper than {max_depth} levels") from err
    _check_depth(value, max_depth)
    return value


def sha256_b64url(text: str) -> str:
    """base64url(SHA-256(ASCII text)): the digest of a disclosure or an SD-JWT (RFC 9901)."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())
