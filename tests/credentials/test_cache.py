"""The bounded cache behind the verifier's status and trust reads."""

from __future__ import annotations

from govchain.credentials._cache import TtlLruCache


def test_the_least_recently_used_entry_goes_first_and_old_entries_expire() -> None:
    ticks = [0.0]
    cache: TtlLruCache[str, int] = TtlLruCache(2, ttl=10, clock=lambda: ticks[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    ticks[0] = 10.0
    assert cache.get("a") is None and len(cache) == 1  # expired and dropped
    never: TtlLruCache[str, int] = TtlLruCache(5, ttl=0)
    never.put("x", 1)
    assert never.get("x") is None  # max_age 0: every read goes to the chain
