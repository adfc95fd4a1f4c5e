"""The web wallet's unlocked session and its automatic locking.

Unlocking in the browser starts one session (a random cookie value). It ends, and the
wallet locks (key and contents forgotten), after ``idle_seconds`` without a request that
uses it, and in any case ``max_seconds`` after it began. Time comes from an injectable
monotonic clock, so a changed wall clock neither ends nor prolongs a session.

An expired session's token is remembered, so that the browser still holding it is told
why it has to unlock again ("Aus Sicherheitsgründen gesperrt …") and is sent back where
it was afterwards.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

__all__ = ["LockReason", "WalletSession", "safe_return_path"]

_UNLOCK_PAGES: Final = frozenset({"/wallet/entsperren", "/wallet/sperren", "/wallet/einrichten"})


class LockReason(StrEnum):
    """Why the wallet locked itself."""

    IDLE = "inaktiv"
    MAX_AGE = "hoechstdauer"


def _duration_de(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "1 Stunde" if hours == 1 else f"{hours} Stunden"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "1 Minute" if minutes == 1 else f"{minutes} Minuten"
    return f"{seconds:.0f} Sekunden"


def _duration_en(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "1 hour" if hours == 1 else f"{hours} hours"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds:.0f} seconds"


class WalletSession:
    """The one unlocked browser session of a wallet app.

    Args:
        clock: monotonic seconds (tests pass their own).
        idle_seconds: the session ends after this long without activity.
        max_seconds: the session ends this long after unlocking, active or not.
        on_expire: called once when a session ends by itself (locks the wallet).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        idle_seconds: float,
        max_seconds: float,
        on_expire: Callable[[], None],
    ) -> None:
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._on_expire = on_expire
        self._token = secrets.token_urlsafe(32)
        self._started: float | None = None
        self._last_seen = 0.0
        self._expired: tuple[str, LockReason] | None = None
        # Pages run in a thread pool and the sweep in the event loop: one at a time.
        self._guard = threading.RLock()

    @property
    def active(self) -> bool:
        """Whether a session is running (not ended, not expired)."""
        return self._started is not None

    def start(self) -> str:
        """A new session (after unlocking or set-up); returns its cookie value."""
        with self._guard:
            self._token = secrets.token_urlsafe(32)
            self._started = self._last_seen = self.clock()
            self._expired = None
            return self._token

    def end(self) -> None:
        """End the session (the citizen locked the wallet): no cookie opens it again."""
        with self._guard:
            self._token = secrets.token_urlsafe(32)
            self._started = None
            self._expired = None

    def due(self) -> LockReason | None:
        """Why the running session must end now, if it must."""
        if self._started is None:
            return None
        now = self.clock()
        if now - self._started >= self.max_seconds:
            return LockReason.MAX_AGE
        if now - self._last_seen >= self.idle_seconds:
            return LockReason.IDLE
        return None

    def expire_if_due(self) -> LockReason | None:
        """End the session and lock the wallet if a limit is reached."""
        with self._guard:
            reason = self.due()
            if reason is not None:
                self._expired = (self._token, reason)
                self._token = secrets.token_urlsafe(32)
                self._started = None
                self._on_expire()
            return reason

    def use(self, cookie: str) -> bool:
        """Whether ``cookie`` holds the running session; if so, it counts as activity.
        A session past its limits is ended first (and the wallet locked)."""
        with self._guard:
            self.expire_if_due()
            if self._started is None or not secrets.compare_digest(
                cookie.encode(), self._token.encode()
            ):
                return False
            self._last_seen = self.clock()
            return True

    def expired_reason(self, cookie: str) -> LockReason | None:
        """Why the session ``cookie`` held was ended by the wallet itself, if it was."""
        with self._guard:
            expired = self._expired
        if expired is None or not cookie:
            return None
        token, reason = expired
        return reason if secrets.compare_digest(cookie.encode(), token.encode()) else None

    def message(self, reason: LockReason) -> tuple[str, str]:
        """The sentence shown on the unlock page, German and English."""
        if reason is LockReason.IDLE:
            return (
                "Aus Sicherheitsgründen gesperrt: "
                f"{_duration_de(self.idle_seconds)} lang keine Aktivität.",
                f"Locked for your security: no activity for {_duration_en(self.idle_seconds)}.",
            )
        return (
            "Aus Sicherheitsgründen gesperrt: Eine Sitzung dauert höchstens "
            f"{_duration_de(self.max_seconds)}.",
            f"Locked for your security: a session lasts at most {_duration_en(self.max_seconds)}.",
        )


def safe_return_path(target: str | None) -> str | None:
    """``target`` if it is a path of this wallet to return to after unlocking: relative,
    same site, under ``/wallet/``, not the unlock or set-up pages; else None."""
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 0x21 or c in '\\"<>' or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    if not parts.path.startswith("/wallet/") or parts.fragment:
        return None
    segments = parts.path.split("/")
    if ".." in segments or "." in segments or parts.path in _UNLOCK_PAGES:
        return None
    return target
