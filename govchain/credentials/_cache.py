"""A small thread-safe LRU cache with an optional time to live.

Verifiers cache what they read from the chain; the keys of those caches come (at least
in part) from presentations, so every cache must be bounded: an attacker who sends
many distinct DIDs, lists or indexes evicts old entries instead of filling memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["TtlLruCache"]


class TtlLruCache[K: Hashable, V]:
    """At most ``max_entries`` entries, each fresh for ``ttl`` seconds (``inf``: for
    ever, ``0``: nothing is ever served from the cache).

    Args:
        max_entries: how many entries are kept; the least recently used goes first.
        ttl: seconds an entry stays fresh, measured with ``clock``.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        max_entries: int,
        ttl: float = float("inf"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("a cache needs room for at least one entry")
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The fresh value under ``key``, or None."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not now - entry[0] < self.ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: K, value: V, *, at: float | None = None) -> None:
        """Keep ``value`` under ``key``, read at ``at`` (default: now)."""
        stamp = self._clock() if at is None else at
        with self._lock:
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
