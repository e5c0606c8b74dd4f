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

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models

from crm import lookup_cache

# Placeholders: bigint ids below any a sequence hands out (they count up from 1).
_FIRST_PLACEHOLDER = -(2**62)


def placeholders(count: int) -> list[int]:
    return [_FIRST_PLACEHOLDER - index for index in range(count)]


def run_with_ids(
    key: Any, queryset_for: Callable[[list[int]], models.QuerySet], ids: Sequence[int]
) -> models.query.RawQuerySet:
    """`queryset_for(ids)`'s records, from SQL compiled once per (key, number of ids).

    `queryset_for` must use each id it is given exactly where the ids go (an `__in` filter), and
    its records are returned as `raw()` returns them: the selected columns, no select_related."""
    ids = list(dict.fromkeys(ids))
    holders = placeholders(len(ids))
    sql, params, slots, model = lookup_cache.cached(
        ("compiled-query", key, len(ids)), lambda: _compile(queryset_for(holders), holders)
    )
    values = list(params)
    for position, slot in slots:
        values[position] = ids[slot]
    return model._default_manager.raw(sql, values)


def _compile(queryset: models.QuerySet, holders: list[int]):
    sql, params = queryset.query.sql_with_params()
    slot_of = {holder: slot for slot, holder in enumerate(holders)}
    slots = tuple((position, slot_of[value]) for position, value in enumerate(params) if value in slot_of)
    if sorted(slot for _position, slot in slots) != list(range(len(holders))):
        raise ValueError("Each id must appear exactly once among the compiled query's parameters.")
    return sql, tuple(params), slots, queryset.model


def values_with_ids(
    key: Any, queryset_for: Callable[[list[int]], models.QuerySet], ids: Sequence[int]
) -> list[dict[str, Any]]:
    """`queryset_for(ids)` — a `values()` queryset — as `values()` answers it, from SQL compiled
    once per (key, number of ids), its rows read straight from the cursor: no model instances
    and none of raw()'s per-query set-up. For the rows of a list page (crm.list_rows)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    holders = placeholders(len(ids))
    sql, params, slots, names, converters, alias = lookup_cache.cached(
        ("compiled-values", key, len(ids)), lambda: _compile_values(queryset_for(holders), holders)
    )
    values = list(params)
    for position, slot in slots:
        values[position] = ids[slot]
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    if converters:  # what the ORM does to a column's value (a JSON column's text -> its data)
        rows = [list(row) for row in rows]
        for row in rows:
            for position, functions, expression in converters:
                for function in functions:
                    row[position] = function(row[position], expression, connection)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _compile_values(queryset: models.QuerySet, holders: list[int]):
    query = queryset.query
    if not query.values_select:
        raise ValueError("values_with_ids() takes a values() queryset.")
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slot_of = {holder: slot for slot, holder in enumerate(holders)}
    slots = tuple((position, slot_of[value]) for position, value in enumerate(params) if value in slot_of)
    if sorted(slot for _position, slot in slots) != list(range(len(holders))):
        raise ValueError("Each id must appear exactly once among the compiled query's parameters.")
    # The names values() gives the columns, in the SELECT's order (django's ValuesIterable).
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(
            [column[0] for column in compiler.select]
        ).items()
    )
    return sql, tuple(params), slots, names, converters, queryset.db
