"""Fixed-window request counters in Django's cache, for public endpoints (password reset, web
forms, tracking). With a per-process cache (the default LocMemCache) each web process counts on
its own, so a limit holds per process; a shared cache (Redis) makes it hold for the whole site."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def counted(kind: str, value: str, *, window_seconds: int) -> int:
    """Count one more request under `kind`/`value` in the current window; the new count."""
    # Hashed: the cache holds no e-mail or IP addresses, and any text makes a valid key.
    key = f"ratelimit:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, window_seconds)
        return 1


def allowed(kind: str, value: str, *, limit: int, window_seconds: int) -> bool:
    """Count a request; False once `value` made more than `limit` of `kind` in the window."""
    return counted(kind, value, window_seconds=window_seconds) <= limit
