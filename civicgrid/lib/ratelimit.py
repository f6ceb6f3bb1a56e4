"""Fixed-window rate limits in the cache (Redis when REDIS_URL is set, so all processes share them)."""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one hit for `key`; return False once it passed `limit` hits in the current window.

    A limit of 0 or less means no limit. With the per-process memory cache (no Redis) each process
    counts on its own: the limit is then per process, which still stops a runaway client.
    """
    if limit <= 0:
        return True
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    if cache.add(bucket, 1, timeout=window + 5):
        return True
    try:
        hits = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        return True
    return hits <= limit


def give_back(key: str, *, window: int) -> None:
    """Take back one hit counted by `allow` in the current window (a request that turned out not to
    count, such as a retry answered with the first result)."""
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    # Expired, or counted in the previous window: nothing to take back.
    with contextlib.suppress(ValueError):
        cache.decr(bucket)
