"""Anti-forgery tokens for the ASK's form posts (signed double-submit cookie).

A page that shows a form sets the cookie ``govchain_ask_csrf`` (HttpOnly, SameSite=Strict)
to ``<nonce>.<HMAC-SHA256(secret, nonce)>`` and puts the same value in a hidden field.
A post is accepted only when field and cookie are equal and the signature is ours: another
site can neither read the cookie nor plant one we would accept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from govchain.errors import SettingsError
from govchain.platform.ask.errors import CsrfTokenInvalidError, CsrfTokenMissingError

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CsrfGuard"]

CSRF_COOKIE = "govchain_ask_csrf"
CSRF_FIELD = "csrf_token"

_MIN_SECRET_BYTES = 32


class CsrfGuard:
    """Issues and checks anti-forgery tokens with one secret key."""

    def __init__(self, secret: bytes | None) -> None:
        if secret is not None and len(secret) < _MIN_SECRET_BYTES:
            raise SettingsError(
                f"GOVCHAIN_ASK_CSRF_SECRET must be at least {_MIN_SECRET_BYTES} bytes long.",
                f"GOVCHAIN_ASK_CSRF_SECRET muss mindestens {_MIN_SECRET_BYTES} Bytes lang sein.",
            )
        # Without a configured secret, a random one per process: fine for one instance,
        # tokens just do not survive a restart.
        self._key = secret if secret is not None else secrets.token_bytes(32)

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
            raise CsrfTokenMissingError()
        if not hmac.compare_digest(cookie.encode(), field.encode()) or not self._valid(cookie):
            raise CsrfTokenInvalidError()
