"""The process's Redis client for small shared state that is not Celery's: notes the outbox keeps
while the database is away, cached calendar feeds. Short socket timeouts, so a Redis that is down
or frozen costs a caller about a second; callers treat its errors (redis.RedisError) as "no
answer" and carry on without it."""

from __future__ import annotations

import redis
from django.conf import settings

SOCKET_SECONDS = 1.0

_client: redis.Redis | None = None


def client() -> redis.Redis:
    """Made on first use (after gunicorn and Celery forked their workers)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=SOCKET_SECONDS, socket_connect_timeout=SOCKET_SECONDS
        )
    return _client
