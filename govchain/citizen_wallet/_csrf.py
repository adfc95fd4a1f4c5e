"""Anti-forgery tokens for the wallet's form posts (signed double-submit cookie).

Each page with a form sets the cookie ``govchain_wallet_csrf`` (HttpOnly,
SameSite=Strict) to ``<nonce>.<HMAC-SHA256(key, nonce)>`` and puts the same value in a
hidden field; a post is accepted only when both are equal and the signature is ours.
The key is random per process: tokens do not survive a restart, nor does the unlock.
"""

from __future__ import annotations

from govchain._csrf import SignedDoubleSubmit
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


class CsrfGuard(SignedDoubleSubmit):
    """The wallet's guard: a random key per process (the unlock does not survive a
    restart either)."""

    def __init__(self) -> None:
        super().__init__(None, missing=CsrfError, invalid=CsrfError)
