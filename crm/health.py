"""Liveness of the parts the CRM needs: the database and Redis, each answered within a deadline.

A frozen PostgreSQL (SIGSTOP, a hung host) accepts the socket and never replies: a query on
Django's persistent connection would hang until gunicorn kills the worker, and libpq's
connect_timeout cannot go below 2 s. So each check runs on a connection of its own in a daemon
thread, and the probe stops waiting after CHECK_SECONDS: what has not answered by then is down.
A check left behind ends by itself (connect_timeout, or the server waking up) and never touches
Django's connection; at most MAX_CHECKS_IN_FLIGHT of them may linger, so a probe hammering a
frozen server cannot pile up threads and sockets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import redis
from django.conf import settings
from django.db import connection

CHECK_SECONDS = 1.0
MAX_CHECKS_IN_FLIGHT = 8
# libpq's minimum; the thread is abandoned after CHECK_SECONDS anyway.
CONNECT_TIMEOUT_SECONDS = 2

_checks_in_flight = threading.BoundedSemaphore(MAX_CHECKS_IN_FLIGHT)


class _Check:
    """One check running in a daemon thread; `answered(deadline)` says whether it said yes in time."""

    def __init__(self, probe: Callable[[], bool]):
        self._probe = probe
        self._result = False
        self._done = threading.Event()
        self._started = _checks_in_flight.acquire(blocking=False)
        if self._started:
            threading.Thread(target=self._run, daemon=True, name="health-check").start()

    def _run(self) -> None:
        try:
            self._result = self._probe()
        except Exception:
            self._result = False
        finally:
            _checks_in_flight.release()
            self._done.set()

    def answered(self, deadline: float) -> bool:
        if not self._started:
            return False  # earlier checks are still stuck: whatever they wait for is not answering
        return self._done.wait(max(0.0, deadline - time.monotonic())) and self._result


def _database_probe() -> Callable[[], bool]:
    # Read in the caller's thread: Django's connections are per thread.
    params = {**connection.get_connection_params(), "connect_timeout": CONNECT_TIMEOUT_SECONDS}

    def answers() -> bool:
        with psycopg.connect(**params, autocommit=True) as database:
            return database.execute("SELECT 1").fetchone() == (1,)

    return answers


def _redis_answers() -> bool:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS
    )
    try:
        return bool(client.ping())
    finally:
        client.close()


def services_up(seconds: float = CHECK_SECONDS) -> dict[str, bool]:
    """Whether the database and Redis each answered within `seconds`; both are asked at once."""
    deadline = time.monotonic() + seconds
    checks = {"database": _Check(_database_probe()), "redis": _Check(_redis_answers)}
    return {name: check.answered(deadline) for name, check in checks.items()}


def database_is_up(seconds: float = CHECK_SECONDS) -> bool:
    return _Check(_database_probe()).answered(time.monotonic() + seconds)


def redis_is_up(seconds: float = CHECK_SECONDS) -> bool:
    return _Check(_redis_answers).answered(time.monotonic() + seconds)
