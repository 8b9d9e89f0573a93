"""A small fixed-window counter in the cache, for actions that must not be brute-forced."""

from __future__ import annotations

from django.core.cache import cache


def throttle_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key``; return True when it exceeds ``limit`` in the window.

    The window starts with the first attempt (``cache.add``) and the counter is
    incremented atomically, so concurrent attempts are all counted.
    """
    cache_key = f"throttle:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count > limit
