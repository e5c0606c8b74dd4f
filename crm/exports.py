"""Exports of any filtered list to XLSX and CSV, safe to open in a spreadsheet.

A cell that starts with = + - @ or a tab / carriage return is read by Excel and LibreOffice as a
formula (CSV injection); such text gets a leading apostrophe in CSV. In XLSX every text is
written as a string cell, which is shown, never evaluated, so values round-trip unchanged.
Rows are read in chunks by id; CSV is streamed, XLSX is written by XlsxWriter.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from crm import linked

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Column:
    """A column of an export: its header, the `values()` keys it reads, and its cell from a row.

    Exports read rows as dicts, not model instances: a row spanning four relations would build
    five instances (with every timestamp and JSON column decoded), which was three quarters of
    an export's time."""

    header: str
    fields: tuple[str, ...]
    value: Callable[[dict], object]


def field(header: str, path: str) -> Column:
    """A field of the record, or of a related one ("company__name")."""
    return Column(header, (path,), itemgetter(path))


def display(header: str, path: str, choices) -> Column:
    """A field with choices, as its label (get_FOO_display())."""
    labels = {value: str(label) for value, label in choices}
    return Column(header, (path,), lambda row: labels.get(row[path], row[path]))


def person(header: str, relation: str) -> Column:
    """A related person as Person.__str__ reads: first and last name."""
    first, last = f"{relation}__first_name", f"{relation}__last_name"

    def name(row: dict) -> str | None:
        if row[first] is None and row[last] is None:
            return None
        return f"{row[first]} {row[last]}".strip()

    return Column(header, (first, last), name)


def user(header: str, relation: str) -> Column:
    """A related user as User.__str__ reads: the full name, else the username."""
    username, first, last = (f"{relation}__{name}" for name in ("username", "first_name", "last_name"))

    def name(row: dict) -> str | None:
        if row[username] is None:
            return None
        return f"{row[first]} {row[last]}".strip() or row[username]

    return Column(header, (username, first, last), name)


def visible_only(column: Column, relation: str) -> Column:
    """`column`, which reads the record linked by `relation` (a company's name, a contact's),
    written as "hidden record" on the rows whose linked record the user may not see. The
    export's queryset carries the flag: crm.linked.annotate_visible(queryset, user, relation)."""
    flag = linked.flag_name(relation)

    def value(row: dict):
        if row[relation] is None:
            return None
        return column.value(row) if row[flag] else linked.HIDDEN_RECORD

    return Column(column.header, (*column.fields, relation, flag), value)


def custom_field_columns(model) -> list[Column]:
    """A column per active custom field of `model`, read from its JSON column."""
    from crm import custom_fields

    return [
        Column(
            definition.label,
            ("custom_fields",),
            lambda row, key=definition.key: (row["custom_fields"] or {}).get(key),
        )
        for definition in custom_fields.definitions_for(model)
    ]


def neutralise(value):
    """Text that a spreadsheet would run as a formula, made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value, zone):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.astimezone(zone).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, Decimal, datetime.date)):
        return value
    return str(value)


def records(queryset) -> Iterable[dict]:
    """The rows of `queryset` (a `.values("pk", …)` queryset) in its stable order, CHUNK at a time.

    The ordered ids come first (one narrow query), then each chunk by id with the queryset's joins.
    Memory stays bounded without a server-side cursor, which the settings turn off (see
    DISABLE_SERVER_SIDE_CURSORS there), and every chunk is a short query a pooler can route."""
    from crm.pagination import stable

    ordered = stable(queryset)
    ids = list(ordered.values_list("pk", flat=True)[:MAX_ROWS])
    unordered = ordered.order_by()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_pk = {record["pk"]: record for record in unordered.filter(pk__in=chunk)}
        yield from (by_pk[pk] for pk in chunk if pk in by_pk)


def rows(queryset, columns: list[Column]) -> Iterable[list]:
    """Each record of `queryset` as the cells of `columns`, reading only the columns' fields."""
    fields = list(dict.fromkeys(name for column in columns for name in column.fields))
    zone = timezone.get_current_timezone()  # once: each look-up goes through a context-local
    for record in records(queryset.values("pk", *fields)):
        yield [_cell(column.value(record), zone) for column in columns]


def _all_rows(queryset, columns: list[Column], then: Sequence[tuple[QuerySet, list[Column]]]):
    """The rows of `queryset`, then those of each (queryset, columns) of `then`: other records
    under the same headers, e.g. the board's deals, then its customers without a deal."""
    yield from rows(queryset, columns)
    for more, more_columns in then:
        if len(more_columns) != len(columns):
            raise ValueError("Every part of an export has the same columns.")
        yield from rows(more, more_columns)


class _Echo:
    def write(self, value):
        return value


def _csv_stream(queryset, columns, then=()):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so Excel reads the file as UTF-8 (å, ö, ő…)
    # Headers too: a custom field's label is typed by an admin and may start with "=".
    yield writer.writerow([neutralise(str(column.header)) for column in columns])
    for row in _all_rows(queryset, columns, then):
        yield writer.writerow(
            [value.isoformat() if hasattr(value, "isoformat") else neutralise(value) for value in row]
        )


# Control characters that the XML inside an XLSX file cannot hold (tab, newline and CR can).
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_bytes(queryset, columns, sheet_title: str, then=()) -> bytes:
    """The rows as an XLSX workbook, written by XlsxWriter (three times faster than openpyxl here).

    Text is always written as a string cell, which a spreadsheet shows and never evaluates, and
    never turned into a formula, number or link, whatever it starts with."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31])
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for column_number, column in enumerate(columns):
        sheet.write_string(0, column_number, XML_ILLEGAL.sub("", str(column.header)))
    for row_number, row in enumerate(_all_rows(queryset, columns, then), start=1):
        for column_number, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(row_number, column_number, XML_ILLEGAL.sub("", value))
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(row_number, column_number, value, datetime_format)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row_number, column_number, value, date_format)
            else:
                sheet.write_number(row_number, column_number, value)
    workbook.close()
    return buffer.getvalue()


def export_response(
    queryset,
    columns: list[Column],
    *,
    file_format: str,
    name: str,
    then: Sequence[tuple[QuerySet, list[Column]]] = (),
):
    """An attachment with the rows of `queryset` (already filtered and access-scoped), followed
    by those of each (queryset, columns) in `then`, whose columns have the same headers."""
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    if file_format == "csv":
        response = StreamingHttpResponse(
            _csv_stream(queryset, columns, then), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response
    if file_format == "xlsx":
        response = HttpResponse(
            _xlsx_bytes(queryset, columns, name, then),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
        return response
    raise Http404
