"""Anti-forgery tokens for the wallet's form posts (signed double-submit cookie).

Each page with a form sets the cookie ``govchain_wallet_csrf`` (HttpOnly,
SameSite=Strict) to ``<nonce>.<HMAC-SHA256(key, nonce)>`` and puts the same value in a
hidden field; a post is accepted only when both are equal and the signature is ours.
The key is random per process: tokens do not survive a restart, nor does the unlock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from govchain.citizen_wallet.errors import WalletError

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CsrfError", "CsrfGuard"]

CSRF_COOKIE = "govchain_wallet_csrf"
CSRF_FIELD = "csrf_token"


class CsrfError(WalletError):
    """A form post without a valid anti-forgery token."""

    status = 403

    def __init__(self) -> None:
        super().__init__(
            "The form has expired or did not come from this wallet; reload and try again.",
            "Das Formular ist abgelaufen oder stammt nicht aus dieser Brieftasche; "
            "bitte neu laden und erneut versuchen.",
        )


class CsrfGuard:
    """Issues and checks anti-forgery tokens."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    def _valid(self, token: str) -> bool:
        nonce, sep, signature = token.partition(".")
        return bool(sep and nonce) and hmac.compare_digest(signature, self._sign(nonce))

    def token_for(self, cookie: str | None) -> str:
        """The visitor's valid token, or a fresh one."""
        if cookie is not None and self._valid(cookie):
            return cookie
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def verify(self, cookie: str | None, field: str | None) -> None:
        """Accept a post only if the field equals the cookie and is signed by us."""
        if not cookie or not field:
            raise CsrfError()
        if not hmac.compare_digest(cookie.encode(), field.encode()) or not self._valid(cookie):
            raise CsrfError()
