"""Writing many rows at once with PostgreSQL COPY: the kernel of every bulk write (the import's
services, the GDPR job's event rows, the benchmark seeds).

``copy_rows`` loads dicts by attname. ``records_insert`` is ``crm.services.record_create`` for
many records: the records, their django-simple-history "created" rows and their audit rows, each
table in one COPY. No model ``save()`` runs, so whatever ``save()`` derives (``search_text``)
the caller sets first; PostgreSQL computes the generated columns (``search_vector``) and fires
its triggers as for any insert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import attrgetter

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from crm.models import AuditEvent
from crm.services import _jsonable


def _copy_fields(model: type[models.Model], *, with_pk: bool) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not getattr(field, "generated", False) and (with_pk or not field.primary_key)
    ]


def _copy(model: type[models.Model], fields: Sequence[models.Field], rows: Iterable[Sequence]) -> int:
    """COPY `rows` (values in the order of `fields`) into `model`'s table; JSON columns are
    dumped here. Returns how many rows were loaded."""
    json_columns = [index for index, field in enumerate(fields) if isinstance(field, models.JSONField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in rows:
            if json_columns:
                row = list(row)
                for index in json_columns:
                    row[index] = json.dumps(row[index])
            write_row(row)
            count += 1
    return count


def copy_rows(model: type[models.Model], rows: Iterable[dict], *, with_pk: bool = False) -> int:
    """Load `rows` (dicts by attname) into `model`'s table with COPY; unset columns get their
    default, keys that are not columns are ignored. Returns how many rows were loaded.

    Generated columns (search_vector) are left to PostgreSQL.
    """
    fields = _copy_fields(model, with_pk=with_pk)
    defaults = [(field.attname, field.get_default()) for field in fields]
    return _copy(model, fields, ([row.get(name, default) for name, default in defaults] for row in rows))


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys from the table's sequence."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy_instances(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """COPY `instances` (primary keys set) by their attribute values."""
    fields = _copy_fields(model, with_pk=True)
    values_of = attrgetter(*(field.attname for field in fields))
    _copy(model, fields, map(values_of, instances))


def history_insert(
    model: type[models.Model], instances: Sequence[models.Model], *, actor, when: datetime, kind: str
) -> None:
    """The history rows of `instances` (as `history_rows` describes them) by COPY, read from the
    instances without a dict each."""
    history = model.history.model
    fields = _copy_fields(history, with_pk=False)
    tracked = [f.attname for f in fields if not f.name.startswith("history_")]
    trailing = [f.attname for f in fields[len(tracked) :]]
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    extra = {
        "history_date": when,
        "history_type": kind,
        "history_user_id": user_id,
        "history_change_reason": None,
    }
    if [f.attname for f in fields[: len(tracked)]] != tracked or set(trailing) != set(extra):
        # Not django-simple-history's usual layout (its own columns last): the general way.
        copy_rows(history, history_rows(model, instances, actor=actor, when=when, kind=kind))
        return
    values_of = attrgetter(*tracked)
    tail = tuple(extra[name] for name in trailing)
    _copy(history, fields, (values_of(instance) + tail for instance in instances))


def history_rows(
    model: type[models.Model], instances: Sequence[models.Model], *, actor, when: datetime, kind: str
) -> list[dict]:
    """django-simple-history's rows of `instances` as its post_save would write them (`kind`:
    "+" created, "~" changed), by the historical model's attnames."""
    history = model.history.model
    tracked = [
        field.attname
        for field in history._meta.concrete_fields
        if not field.primary_key and not field.name.startswith("history_")
    ]
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    return [
        {
            **{attname: getattr(instance, attname) for attname in tracked},
            "history_date": when,
            "history_type": kind,
            "history_user_id": user_id,
            "history_change_reason": None,
        }
        for instance in instances
    ]


def audit_rows(
    model: type[models.Model], instances: Sequence[models.Model], *, actor, verb: str, when: datetime,
    changes: Sequence[dict] | None = None,
) -> list[dict]:  # fmt: skip
    """crm.services.audit_record's rows for `instances` (`changes` by position, or none)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    return [
        {
            "actor_id": actor_id,
            "verb": verb,
            "content_type_id": content_type.pk,
            "object_id": str(instance.pk),
            "object_repr": str(instance)[:200],
            "changes": {
                name: _jsonable(value) for name, value in (changes[index] if changes else {}).items()
            },
            "created_at": when,
        }
        for index, instance in enumerate(instances)
    ]


def records_insert(*, actor, model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert validated, unsaved `instances` as ``record_create`` would insert each one: ids from
    the table's sequence, the rows, their "created" history rows (when the model keeps history)
    and a "create" audit row each, every table in one COPY. ``updated_at`` is set to now."""
    if not instances:
        return
    now = timezone.now()
    for instance, pk in zip(instances, allocate_ids(model, len(instances)), strict=True):
        instance.pk = pk
        if hasattr(instance, "updated_at"):
            instance.updated_at = now
        instance._state.adding = False
        instance._state.db = connection.alias
    _copy_instances(model, instances)
    if hasattr(model, "history"):
        history_insert(model, instances, actor=actor, when=now, kind="+")
    copy_rows(AuditEvent, audit_rows(model, instances, actor=actor, verb="create", when=now))
