"""Anti-forgery tokens for the ASK's form posts (signed double-submit cookie).

A page that shows a form sets the cookie ``govchain_ask_csrf`` (HttpOnly, SameSite=Strict)
to ``<nonce>.<HMAC-SHA256(secret, nonce)>`` and puts the same value in a hidden field.
A post is accepted only when field and cookie are equal and the signature is ours: another
site can neither read the cookie nor plant one we would accept.
"""

from __future__ import annotations

from govchain._csrf import SignedDoubleSubmit
from govchain.errors import SettingsError
from govchain.platform.ask.errors import CsrfTokenInvalidError, CsrfTokenMissingError

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CsrfGuard"]

CSRF_COOKIE = "govchain_ask_csrf"
CSRF_FIELD = "csrf_token"

_MIN_SECRET_BYTES = 32


class CsrfGuard(SignedDoubleSubmit):
    """The ASK's guard: a configured secret of at least 32 bytes, or a random one."""

    def __init__(self, secret: bytes | None) -> None:
        if secret is not None and len(secret) < _MIN_SECRET_BYTES:
            raise SettingsError(
                f"GOVCHAIN_ASK_CSRF_SECRET must be at least {_MIN_SECRET_BYTES} bytes long.",
                f"GOVCHAIN_ASK_CSRF_SECRET muss mindestens {_MIN_SECRET_BYTES} Bytes lang sein.",
            )
        super().__init__(secret, missing=CsrfTokenMissingError, invalid=CsrfTokenInvalidError)
