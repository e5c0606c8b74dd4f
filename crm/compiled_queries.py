"""Querysets compiled to SQL once per process, then run again with other ids.

Building and compiling a queryset through the visibility rule (an OR of scopes, subqueries of
teams) costs 1.5-2.5 ms of CPU; a list page's next-step column ran the same query on every
request, with only the page's fifty ids changed. Here it is compiled once per key, with
placeholder ids that no table hands out, and the placeholders are swapped for the real ids at
each run.

The key must name everything the queryset depends on except the ids (the user, the kind of
record...). Compiled statements are kept with crm.lookup_cache: dropped whenever a watched table
changes, which covers what a visibility rule reads (roles, teams, memberships, the org settings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models

from crm import lookup_cache

# Placeholders: bigint ids below any a sequence hands out (they count up from 1).
_FIRST_PLACEHOLDER = -(2**62)


def placeholders(count: int) -> list[int]:
    return [_FIRST_PLACEHOLDER - index for index in range(count)]


def run_with_ids(
    key: Any, queryset_for: Callable[[list[int]], models.QuerySet], ids: Sequence[int]
) -> list[models.Model]:
    """`queryset_for(ids)`'s records, from SQL compiled once per (key, number of ids).

    `queryset_for` must use each id it is given exactly where the ids go (an `__in` filter). The
    records hold the selected columns and annotations, no select_related; they are made as the
    ORM makes them (Model.from_db), without compiling anything per run."""
    compiled, rows = _run(key, queryset_for, ids, _compile_records)
    if not rows:
        return []
    model, field_names, field_positions, annotations = compiled.shape
    records = []
    for row in rows:
        record = model.from_db(compiled.alias, field_names, [row[position] for position in field_positions])
        for name, position in annotations:
            setattr(record, name, row[position])
        records.append(record)
    return records


def values_with_ids(
    key: Any, queryset_for: Callable[[list[int]], models.QuerySet], ids: Sequence[int]
) -> list[dict[str, Any]]:
    """`queryset_for(ids)` — a `values()` queryset — as `values()` answers it, from SQL compiled
    once per (key, number of ids), its rows read straight from the cursor: no model instances.
    For the rows of a list page (crm.list_rows)."""
    compiled, rows = _run(key, queryset_for, ids, _compile_values)
    if not rows:
        return []
    names = compiled.shape
    return [dict(zip(names, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (position among params, which id)
    converters: tuple  # (column, functions, expression): what the ORM does to a column's value
    alias: str  # the database
    shape: Any  # how a row becomes a record or a dict
    ids_array_at: int | None = None  # the parameter that takes the ids as one array


def _run(key, queryset_for, ids, compile_shape) -> tuple[_Compiled | None, list]:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return None, []
    holders = placeholders(len(ids))
    compiled = lookup_cache.cached(
        ("compiled-query", compile_shape.__name__, key, len(ids)),
        lambda: _compile(queryset_for(holders), holders, compile_shape),
    )
    values = list(compiled.params)
    if compiled.ids_array_at is not None:
        values[compiled.ids_array_at] = ids
    for position, slot in compiled.slots:
        values[position] = ids[slot]
    connection = connections[compiled.alias]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, values)
        rows = cursor.fetchall()
    if compiled.converters:  # e.g. a JSON column's text -> its data
        rows = [list(row) for row in rows]
        for row in rows:
            for position, functions, expression in compiled.converters:
                for function in functions:
                    row[position] = function(row[position], expression, connection)
    return compiled, rows


def _compile(queryset: models.QuerySet, holders: list[int], compile_shape) -> _Compiled:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slot_of = {holder: slot for slot, holder in enumerate(holders)}
    slots = tuple((position, slot_of[value]) for position, value in enumerate(params) if value in slot_of)
    if sorted(slot for _position, slot in slots) != list(range(len(holders))):
        raise ValueError("Each id must appear exactly once among the compiled query's parameters.")
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(
            [column[0] for column in compiler.select]
        ).items()
    )
    shape = compile_shape(queryset, compiler)
    array = _ids_as_array(sql, params, slots)
    if array is not None:
        sql, params, array_at = array
        return _Compiled(sql, params, (), converters, queryset.db, shape, ids_array_at=array_at)
    return _Compiled(sql, tuple(params), slots, converters, queryset.db, shape)


_PLACEHOLDER = re.compile(r"%%|%s")


def _ids_as_array(sql: str, params, slots) -> tuple[str, tuple, int] | None:
    """`… IN (%s, %s, …)` of the ids rewritten as `… = ANY(%s)` with the ids as one array
    parameter, when the ids are exactly such a list (in their order): the same rows, and
    PostgreSQL parses one parameter instead of fifty (~1 ms of its time per query, and psycopg's
    query cache holds queries of up to 50 parameters only). None when the SQL is not that."""
    marks = [match.start() for match in _PLACEHOLDER.finditer(sql) if match.group() == "%s"]
    first = slots[0][0]
    if len(marks) != len(params) or slots != tuple((first + slot, slot) for slot in range(len(slots))):
        return None
    start, end = marks[first], marks[first + len(slots) - 1] + 2
    if sql[start:end] != ", ".join(["%s"] * len(slots)) or not (
        sql[:start].endswith(" IN (") and sql[end:].startswith(")")
    ):
        return None
    rewritten = f"{sql[: start - len(' IN (')]} = ANY(%s){sql[end + 1 :]}"
    return rewritten, (*params[:first], None, *params[first + len(slots) :]), first


def _compile_values(queryset: models.QuerySet, compiler) -> tuple[str, ...]:
    """The names values() gives the columns, in the SELECT's order (django's ValuesIterable)."""
    query = queryset.query
    if not query.values_select:
        raise ValueError("values_with_ids() takes a values() queryset.")
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def _compile_records(queryset: models.QuerySet, compiler):
    """Where the model's fields and the annotations are among the columns (django's ModelIterable)."""
    if queryset.query.values_select or compiler.klass_info.get("related_klass_infos"):
        raise ValueError("run_with_ids() takes a queryset of records without select_related.")
    field_positions = tuple(compiler.klass_info["select_fields"])
    field_names = tuple(compiler.select[position][0].target.attname for position in field_positions)
    annotations = tuple(compiler.annotation_col_map.items())
    return queryset.model, field_names, field_positions, annotations
