"""base64url, compact JSON and digests as the JOSE and SD-JWT specifications use them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

__all__ = ["b64url_decode", "b64url_encode", "json_compact", "sha256_b64url"]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding: only the URL-safe alphabet, no padding, no whitespace.

    Python's decoder silently skips foreign characters; a verifier must not, so a
    tampered string cannot decode to the same bytes as the original.
    """
    if len(text) % 4 == 1 or not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as err:
        raise ValueError("not base64url") from err


def json_compact(value: Any) -> str:
    """JSON without insignificant whitespace, UTF-8 characters kept as they are."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sha256_b64url(text: str) -> str:
    """base64url(SHA-256(ASCII text)): the digest of a disclosure or an SD-JWT (RFC 9901)."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())
