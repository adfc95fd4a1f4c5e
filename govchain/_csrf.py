"""Anti-forgery tokens for server-rendered forms: a signed double-submit cookie.

A page with a form sets a cookie (HttpOnly, SameSite=Strict) to
``<nonce>.<HMAC-SHA256(key, nonce)>`` and puts the same value in a hidden field. A post
is accepted only when field and cookie are equal and the signature is ours: another site
can neither read the cookie nor plant one we would accept. Each service names its own
cookie and errors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from govchain.errors import GovchainError

__all__ = ["SignedDoubleSubmit"]


class SignedDoubleSubmit:
    """Issues and checks anti-forgery tokens with one key.

    Args:
        key: the signing key; None makes a random one per process (tokens then do not
            survive a restart, which is fine for a single instance).
        missing: the error for a post without cookie or field.
        invalid: the error for a post whose field and cookie differ or are not ours.
    """

    def __init__(
        self,
        key: bytes | None,
        *,
        missing: Callable[[], GovchainError],
        invalid: Callable[[], GovchainError],
    ) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)
        self._missing = missing
        self._invalid = invalid

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    def _valid(self, token: str) -> bool:
        nonce, sep, signature = token.partition(".")
        return bool(sep and nonce) and hmac.compare_digest(signature, self._sign(nonce))

    def token_for(self, cookie: str | None) -> str:
        """The token for a page: the visitor's valid cookie, or a fresh one."""
        if cookie is not None and self._valid(cookie):
            return cookie
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def verify(self, cookie: str | None, field: str | None) -> None:
        """Accept a post only if the field equals the cookie and is signed by us."""
        if not cookie or not field:
            raise self._missing()
        if not hmac.compare_digest(cookie.encode(), field.encode()) or not self._valid(cookie):
            raise self._invalid()
