"""Loading generated rows fast, for the benchmark seeds (bench_seed, bench_board).

Rows are dicts by attname, loaded with PostgreSQL COPY (crm.bulk.copy_rows); ids are handed out
in bulk from the table's own sequence so that related rows can point at them before anything is
loaded. No
model ``save()`` runs: no signals, no history rows, no audit rows; the seeds write what they
need of those themselves. Afterwards ``vacuum_analyse`` leaves the tables as a database in
steady state would be (statistics, visibility map, GIN pending lists flushed, pages written).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, connection, models

from crm.bulk import allocate_ids, copy_rows


def copy_pairs(table: str, columns: tuple[str, str], pairs: Iterable[tuple[int, int]]) -> int:
    """Load (a, b) pairs into a two-column table, e.g. a many-to-many through table."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({quote(columns[0])}, {quote(columns[1])}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for pair in pairs:
            copy.write_row(pair)
            count += 1
    return count


def assign_ids(model: type[models.Model], rows: list[dict]) -> list[dict]:
    """Give every row an ``id`` from `model`'s sequence (for rows that others point at)."""
    for row, pk in zip(rows, allocate_ids(model, len(rows)), strict=True):
        row["id"] = pk
    return rows


class LoadReport:
    """Rows and COPY seconds per table, printed as rows/s."""

    def __init__(self) -> None:
        self.loaded: dict[str, tuple[int, float]] = {}

    def copy(self, name: str, model: type[models.Model], rows: Iterable[dict], **options: Any) -> int:
        started = time.perf_counter()
        count = copy_rows(model, rows, **options)
        self.add(name, count, time.perf_counter() - started)
        return count

    def copy_pairs(self, name: str, table: str, columns: tuple[str, str], pairs) -> int:
        started = time.perf_counter()
        count = copy_pairs(table, columns, pairs)
        self.add(name, count, time.perf_counter() - started)
        return count

    def add(self, name: str, count: int, seconds: float) -> None:
        previous_count, previous_seconds = self.loaded.get(name, (0, 0.0))
        self.loaded[name] = (previous_count + count, previous_seconds + seconds)

    @property
    def total_rows(self) -> int:
        return sum(count for count, _seconds in self.loaded.values())

    def table(self) -> list[list]:
        """Header and one row a table, then the total: for crm.bench.print_table."""

        def rate(count: int, seconds: float) -> int | None:
            return round(count / seconds) if seconds and count else None

        rows: list[list] = [["table", "rows", "COPY s", "rows/s"]]
        for name, (count, seconds) in self.loaded.items():
            rows.append([name, count, seconds, rate(count, seconds)])
        seconds = sum(seconds for _count, seconds in self.loaded.values())
        rows.append(["all", self.total_rows, seconds, rate(self.total_rows, seconds)])
        return rows


def vacuum_analyse(models_to_analyse: Iterable[type[models.Model]] | None = None) -> str:
    """VACUUM ANALYZE the tables of `models_to_analyse` (default: the whole database), then
    CHECKPOINT; only ANALYZE inside a transaction (tests). Returns what was done, for the log.

    VACUUM also sets the visibility map and flushes the GIN pending lists, as autovacuum would
    on a database in steady state; CHECKPOINT writes the loaded pages out now rather than
    during the measurements.
    """
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    tables = [model._meta.db_table for model in models_to_analyse or []]
    with connection.cursor() as cursor:
        # Maintenance may wait on autovacuum or a busy disk: the 30 s limit of requests is not for it.
        cursor.execute("SET statement_timeout = 0")
        if tables:
            for table in tables:
                cursor.execute(f"{verb} {connection.ops.quote_name(table)}")
        else:
            cursor.execute(verb)
        if not connection.in_atomic_block:
            try:
                cursor.execute("CHECKPOINT")
            except DatabaseError:
                verb += " (no CHECKPOINT: not a superuser)"
            else:
                verb += " + CHECKPOINT"
        cursor.execute("RESET statement_timeout")
    return verb
