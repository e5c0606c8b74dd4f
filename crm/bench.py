"""Measuring helpers for the benchmark commands: page latency and queries per page.

A page is measured in-process: Django's test ``Client``, already logged in with
``force_login``, sends GET requests through the whole middleware stack (session, auth,
CSRF, CSP, axes, messages), the view, the database and the template, exactly as a real
request would go. What is *not* measured is the HTTP layer in front of Django (gunicorn,
the socket, the network): figures are per request on one core, not requests per second
under concurrency.

Speed is measured here, in benchmarks, and never asserted in timed tests; tests pin query
counts only.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Sequence
from typing import Any, TextIO

from django.conf import settings
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext


class PageNotAvailable(AssertionError):
    """The measured URL did not answer 200 (not built yet, broken, or not permitted)."""

    def __init__(self, message: str, *, status_code: int | None = None, location: str = ""):
        super().__init__(message)
        self.status_code = status_code
        self.location = location


def allowed_host() -> str:
    """A host name the site accepts, so that the test client is not refused with 400."""
    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return "localhost"
        if host.startswith("."):
            return "www" + host
        return host
    return "localhost"


def logged_in_client(user) -> Client:
    """A test client with a session for `user`, talking to a host the settings allow."""
    client = Client(HTTP_HOST=allowed_host())
    client.force_login(user)
    return client


def _percentile(samples: Sequence[float], percent: int) -> float:
    if len(samples) < 2:
        return max(samples)
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def measure(
    client: Client,
    url: str,
    *,
    repeat: int = 20,
    warmup: int = 2,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    """GET `url` (with `headers`, e.g. ``{"HX-Request": "true"}``) `warmup` times untimed (at
    least once), `repeat` times timed, then once more untimed with its SQL captured. A streamed
    answer (a CSV export, a file download) is read to its end inside the timing.

    Returns ``median_ms``, ``p95_ms``, ``max_ms`` of the timed requests, and of the last one
    ``queries`` (how many), ``sql_ms`` (their time in the database, as the client saw it),
    ``sql`` (their text with parameters, for EXPLAIN) and ``sql_times`` (ms of each). Raises
    PageNotAvailable unless every answer is `status` (200; a redirect route's 302).
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")

    def get():
        return _read(client.get(url, secure=True, headers=headers))

    for _ in range(max(warmup, 1)):
        _check(get(), url, status)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = get()
        samples.append((time.perf_counter() - started) * 1000)
        _check(response, url, status)
    # One more, untimed, with the queries captured while everything is warm. Every request
    # empties the query log (request_started): start from an empty log too, and copy the
    # captured queries before anything else empties it again.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = get()
    queries = list(captured.captured_queries)
    _check(response, url, status)
    return {
        "url": url,
        "median_ms": statistics.median(samples),
        "p95_ms": _percentile(samples, 95),
        "max_ms": max(samples),
        "queries": len(queries),
        "sql_ms": sum((float(query["time"]) for query in queries), 0.0) * 1000,
        "sql": [query["sql"] for query in queries],
        "sql_times": [float(query["time"]) * 1000 for query in queries],
    }


def _read(response):
    """Read a streamed body to its end, as a browser would. The test client closes the response
    (and its file) when the stream ends; closing it again here would also close the database
    connection inside a test's transaction (request_finished)."""
    if getattr(response, "streaming", False):
        for _chunk in response.streaming_content:
            pass
    return response


def _check(response, url: str, status: int = 200) -> None:
    if response.status_code != status:
        location = response.get("Location", "")
        raise PageNotAvailable(
            f"GET {url} answered {response.status_code}{f' → {location}' if location else ''}, not {status}",
            status_code=response.status_code,
            location=location,
        )


def explain(sql: str) -> list[str]:
    """The lines of ``EXPLAIN (ANALYZE, BUFFERS)`` of `sql`, a SELECT a measured page just ran
    (captured with its parameters inlined)."""
    with connection.cursor() as cursor:
        cursor.cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def plan_summary(plan: list[str]) -> dict[str, Any]:
    """What to read first in a plan: its top node, execution time, indexes and sequential scans."""
    return {
        "top": plan[0].strip() if plan else "",
        "execution": next((line.strip() for line in plan if line.strip().startswith("Execution Time")), ""),
        "indexes": sorted(
            {
                match
                for line in plan
                for match in re.findall(
                    r"(?:Index(?: Only)? Scan|Bitmap Index Scan) (?:using|on) (\S+)", line
                )
            }
        ),
        "seq_scans": sorted({match for line in plan for match in re.findall(r"Seq Scan on (\S+)", line)}),
    }


def format_table(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as aligned text; the first row is the header. Numbers are right-aligned."""
    if not rows:
        return ""
    cells = [[_cell(value) for value in row] for row in rows]
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    numeric = [
        all(
            _is_number(row[column]) for row in rows[1:] if column < len(row) and row[column] not in ("", None)
        )
        for column in range(width)
    ]
    widths = [max(len(row[column]) for row in cells) for column in range(width)]

    def line(row: list[str]) -> str:
        parts = [
            text.rjust(widths[column]) if numeric[column] else text.ljust(widths[column])
            for column, text in enumerate(row)
        ]
        return "  ".join(parts).rstrip()

    separator = "  ".join("-" * column_width for column_width in widths)
    return "\n".join([line(cells[0]), separator, *(line(row) for row in cells[1:])])


def print_table(rows: Sequence[Sequence[Any]], file: TextIO | None = None) -> None:
    """Print `rows` (header first) as an aligned text table to `file` (default stdout)."""
    text = format_table(rows)
    if file is None:
        print(text)
    else:
        file.write(text + "\n")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
