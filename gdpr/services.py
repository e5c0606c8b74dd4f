"""Anonymise, touch, retention and settings: every view, task, admin save and test calls these.

Anonymisation is irreversible and happens in one transaction: the covered fields of the person
are overwritten, and so are their copies — the person's history rows, the audit rows of the
person and of its linked records, the linked records registered in gdpr.registry (a converted
lead's copy of the name, an activity's notes quoting the e-mail), the search text, and the
e-mail log (crm.models.OutboundEmail) of mails sent to the address. It is logged (GdprEvent)
with the field names, never the old values. Counts, deals and sums stay for the reports.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.template.loader import render_to_string
from django.utils import timezone

from crm import access
from crm.bulk import copy_rows
from crm.email import email_queue
from crm.models import AuditEvent, OutboundEmail
from crm.search import normalise_for_search
from crm.services import audit_record
from gdpr import registry
from gdpr.models import ErasureRequest, GdprEvent, GdprSettings, RetentionOverride

MANAGE_PERMISSION = "gdpr.manage_personal_data"
EXPORT_PERMISSION = "gdpr.export_personal_data"
REDACTED = "[anonymised]"
# Old values shorter than this are not cut out of free text: "Al" would maim every "also".
SHORTEST_NEEDLE = 3
RETENTION_BATCH = 500
ANALYSE_EVERY = 4  # batches of the retention job between refreshes of the log's statistics
HEADS_UP_LISTED = 100  # people named in one owner's heads-up; the rest are counted
DAYS_PER_MONTH = 30.44


class NotAPersonError(ValueError):
    """The record is of no registered subject kind."""


def _subject_of(record_or_model) -> registry.Subject:
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    subject = registry.subject_for_model(model)
    if subject is None:
        raise NotAPersonError(model._meta.label)
    return subject


def anonymised(model: type[models.Model]) -> Exists:
    """An expression: whether the row has been anonymised (for filter / exclude / annotate)."""
    return Exists(
        GdprEvent.objects.filter(
            action=GdprEvent.Action.ANONYMISE,
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
        )
    )


def is_anonymised(record: models.Model) -> bool:
    return GdprEvent.objects.filter(
        action=GdprEvent.Action.ANONYMISE,
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
    ).exists()


# -- Cutting old values out of copies ---------------------------------------------------------


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _folded(text: str) -> str:
    return text.lower().replace("ς", "σ")  # the final sigma folds as re.IGNORECASE folds it


class _OldValues:
    """The old values of one record, to cut out of text. A regular expression is compiled only
    for a text that holds one of them (a plain substring test first): compiling one per record
    would cost more than the rest of a bulk anonymisation."""

    def __init__(self, needles: list[str]):
        self.needles = needles
        self.folded = [_folded(needle) for needle in needles]

    def sub(self, replacement: str, text: str) -> str:
        folded = _folded(text)
        hits = tuple(needle for needle, key in zip(self.needles, self.folded, strict=True) if key in folded)
        return _compiled(hits).sub(replacement, text) if hits else text


@functools.lru_cache(maxsize=256)
def _compiled(needles: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(text) for text in needles), re.IGNORECASE)


def _pattern(values: Iterable[Any]) -> _OldValues | None:
    needles = {text.strip() for value in values for text in _strings(value)}
    needles = sorted((text for text in needles if len(text) >= SHORTEST_NEEDLE), key=len, reverse=True)
    return _OldValues(needles) if needles else None


def _scrub(value: Any, pattern: _OldValues | None) -> Any:
    """`value` (text or JSON) with every old value replaced by REDACTED."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    return value


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _scrub_each(value: Any, patterns: Iterable[_OldValues | None]) -> Any:
    for pattern in patterns:
        value = _scrub(value, pattern)
    return value


def _sql_value(field: models.Field, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=DjangoJSONEncoder)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def _set_rows(
    model: type[models.Model],
    key: str,
    rows: dict[Any, dict[str, Any]],
    names: list[str],
    *,
    constants: dict[str, Any] | None = None,
    bump_version: bool = False,
) -> None:
    """One UPDATE … FROM unnest(arrays): the rows whose `key` is k get rows[k][name] for each of
    `names`, plus `constants`. Django's bulk_update builds a CASE per field and row in Python,
    which costs seconds per thousand rows; this is one statement with an array per column."""
    constants = constants or {}
    if not rows or not (names or constants):
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_field = model._meta.get_field(key)
    keys = list(rows)
    assignments, set_params = [], []
    for number, name in enumerate(names):
        field = model._meta.get_field(name)
        assignments.append(f"{quote(field.column)} = v.v{number}::{field.db_type(connection)}")
    for name, value in constants.items():
        field = model._meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s::{field.db_type(connection)}")
        set_params.append(_sql_value(field, value))
    if bump_version:
        assignments.append(f"{quote('version')} = {table}.{quote('version')} + 1")
    columns = ["unnest(%s::text[]) AS k"]
    array_params: list[Any] = [[_sql_value(key_field, value) for value in keys]]
    for number, name in enumerate(names):
        field = model._meta.get_field(name)
        columns.append(f"unnest(%s::text[]) AS v{number}")
        array_params.append([_sql_value(field, rows[value][name]) for value in keys])
    key_type = key_field.db_type(connection).replace("serial", "int")
    # Only quoted names and column types from the models go into the text; values are parameters.
    where = f"{table}.{quote(key_field.column)} = v.k::{key_type}"
    sql = f"UPDATE {table} SET {', '.join(assignments)} FROM (SELECT {', '.join(columns)}) AS v WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *array_params])


def _rewrite_rows(
    model: type[models.Model],
    rows: list[models.Model],
    values: dict[str, Any],
    patterns: dict[Any, list],
    text_fields: Iterable[str],
) -> None:
    """Set `values` ({field: value or {pk: value}}) and the scrubbed `text_fields` on `rows`
    (patterns[row.pk]: the old values to cut out), with their search text, in one UPDATE —
    bypassing save() (no new history row carrying the old values, no signals), version bumped."""
    if not rows:
        return
    text_fields = [name for name in text_fields if _has_field(model, name)]
    names = [*values, *text_fields]
    if _has_field(model, "search_text"):
        names.append("search_text")
    changed = {}
    for row in rows:
        for name, value in values.items():
            setattr(row, name, value[row.pk] if isinstance(value, dict) and row.pk in value else value)
        for name in text_fields:
            setattr(row, name, _scrub_each(getattr(row, name), patterns.get(row.pk, ())))
        if _has_field(model, "search_text"):
            row.search_text = normalise_for_search(" ".join(word for word in row.search_words() if word))
        changed[row.pk] = {name: getattr(row, name) for name in names}
    constants = {"updated_at": timezone.now()} if _has_field(model, "updated_at") else {}
    _set_rows(
        model,
        model._meta.pk.name,
        changed,
        names,
        constants=constants,
        bump_version=_has_field(model, "version"),
    )


def _scrub_history(
    model: type[models.Model],
    pks: list,
    values: dict[str, Any],
    patterns: dict[Any, list],
    text_fields: Iterable[str],
) -> None:
    """The simple-history copies of the rows `pks`: covered fields replaced (per-record values by
    a CASE on the id), free text scrubbed; a few statements per batch."""
    history = getattr(model, "history", None)
    if history is None or not pks:
        return
    history_model = history.model
    rows = history_model._base_manager.filter(id__in=pks)
    kept = {name: value for name, value in values.items() if _has_field(history_model, name)}
    constants = {name: value for name, value in kept.items() if not isinstance(value, dict)}
    per_record = [name for name, value in kept.items() if isinstance(value, dict)]
    if per_record:
        by_id = {pk: {name: kept[name][pk] for name in per_record} for pk in pks}
        _set_rows(history_model, "id", by_id, per_record, constants=constants)
    elif constants:
        rows.update(**constants)
    texts = [name for name in text_fields if _has_field(history_model, name)]
    if texts:
        changed = {}
        for row in rows.only("history_id", "id", *texts):
            own = patterns.get(row.id, ())
            changed[row.history_id] = {name: _scrub_each(getattr(row, name), own) for name in texts}
        _set_rows(history_model, "history_id", changed, texts)


def _scrub_audit(model: type[models.Model], pks: list, keys: set[str], patterns: dict, new_repr=None) -> None:
    """Audit rows of the records `pks`: covered fields' values and any old value in the rest."""
    if not pks:
        return
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    by_id = {str(pk): patterns.get(pk, ()) for pk in pks}
    events = list(
        AuditEvent.objects.filter(content_type=content_type, object_id__in=list(by_id)).only(
            "pk", "changes", "object_repr", "object_id"
        )
    )
    for event in events:
        own = by_id[event.object_id]
        changes = event.changes if isinstance(event.changes, dict) else {}
        event.changes = {
            key: (REDACTED if key in keys else _scrub_each(value, own)) for key, value in changes.items()
        }
        repr_ = new_repr(event.object_id) if new_repr else _scrub_each(event.object_repr, own)
        event.object_repr = repr_[:200]
    changed = {event.pk: {"changes": event.changes, "object_repr": event.object_repr} for event in events}
    _set_rows(AuditEvent, "id", changed, ["changes", "object_repr"])


def _scrub_emails(addresses: dict[str, _OldValues | None]) -> None:
    """Mails sent to the people: their addresses out of the recipients, old values out of the
    text — one query finds the mails of a whole batch."""
    addresses = {
        address.strip().lower(): pattern for address, pattern in addresses.items() if address.strip()
    }
    if not addresses:
        return
    # Each recipient against the batch's addresses as LIKE patterns: one pass over the mails,
    # where 500 ORed LIKEs or a 500-way regular expression cost PostgreSQL more to plan than to run.
    likes = [
        "%" + address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for address in addresses
    ]
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    # The table name is quoted from the model; the addresses are a parameter.
    matching = RawSQL(  # noqa: S611
        f"SELECT id FROM {table} WHERE jsonb_typeof(recipients) = 'array' AND EXISTS ("  # noqa: S608
        "SELECT 1 FROM jsonb_array_elements_text(recipients) AS r WHERE lower(r) LIKE ANY(%s::text[]))",
        [likes],
    )
    fields = ["recipients", "subject", "body_text", "body_html", "attachments"]
    emails = list(OutboundEmail.objects.filter(pk__in=matching).only("pk", *fields))
    for email in emails:
        text = str(email.recipients).lower()
        own = [pattern for address, pattern in addresses.items() if address in text]
        for name in fields:
            setattr(email, name, _scrub_each(getattr(email, name), own))
    changed = {email.pk: {name: getattr(email, name) for name in fields} for email in emails}
    _set_rows(OutboundEmail, "id", changed, fields)


def _scrub_requests(model: type[models.Model], pks: list, patterns: dict[Any, list]) -> None:
    """The erasure requests of the records: kept as the proof of the answer, their free text
    (who asked on the person's behalf, the notes) without the old values."""
    content_type = ContentType.objects.get_for_model(model)
    requests = list(
        ErasureRequest.objects.filter(content_type=content_type, object_id__in=pks).only(
            "pk", "object_id", "requester", "notes"
        )
    )
    changed = {
        request.pk: {
            name: _scrub_each(getattr(request, name), patterns.get(request.object_id, ()))
            for name in ("requester", "notes")
        }
        for request in requests
    }
    _set_rows(ErasureRequest, "id", changed, ["requester", "notes"])


def _anonymise_batch(*, actor, subject: registry.Subject, pks: list, covered: list[str]) -> int:
    """Anonymise the rows `pks` not yet anonymised, their copies and linked records, set-based: a
    few statements per kind of copy for the whole batch, whatever its size. The caller holds the
    rows' locks (select_for_update) in its transaction. Returns how many were anonymised."""
    model = subject.model
    records = list(model._base_manager.filter(pk__in=pks).exclude(anonymised(model)).order_by("pk"))
    if not records:
        return 0
    pks = [record.pk for record in records]
    patterns: dict[Any, list] = {}
    addresses: dict[str, _OldValues | None] = {}
    values: dict[str, Any] = {}
    for record in records:
        old = {name: getattr(record, name) for name in covered}
        pattern = _pattern([*old.values(), str(record)])
        patterns[record.pk] = [pattern]
        for value in old.values():
            if isinstance(value, str) and "@" in value:
                addresses[value] = pattern
    for name in covered:
        personal = subject.field(name)
        if callable(personal.replacement):
            values[name] = {record.pk: personal.replacement_for(record) for record in records}
        else:
            values[name] = personal.replacement
    _rewrite_rows(model, records, values, patterns, subject.text_fields)
    _scrub_history(model, pks, values, patterns, subject.text_fields)
    _scrub_requests(model, pks, patterns)
    new_names = {str(record.pk): str(record) for record in records}
    _scrub_audit(model, pks, set(covered), patterns, new_repr=new_names.get)
    linked_done: dict[Any, list[str]] = defaultdict(list)
    for linked in registry.linked_to(subject.key):
        pairs = linked.model._base_manager.filter(**{f"{linked.lookup}__in": pks}).values_list(
            "pk", linked.lookup
        )
        subjects_of: dict[Any, set] = defaultdict(set)
        for row_pk, subject_pk in pairs:
            subjects_of[row_pk].add(subject_pk)
        if not subjects_of:
            continue
        row_patterns = {
            row_pk: [pattern for subject_pk in owners for pattern in patterns[subject_pk]]
            for row_pk, owners in subjects_of.items()
        }
        rows = list(linked.model._base_manager.filter(pk__in=list(subjects_of)).order_by("pk"))
        linked_values = {item.name: item.replacement for item in linked.fields if item.covers in covered}
        _rewrite_rows(linked.model, rows, linked_values, row_patterns, linked.text_fields)
        _scrub_history(linked.model, list(subjects_of), linked_values, row_patterns, linked.text_fields)
        _scrub_audit(linked.model, list(subjects_of), set(linked_values), row_patterns)
        for owners in subjects_of.values():
            for subject_pk in owners:
                label = f"{linked.model._meta.label}.{linked.lookup}"
                if label not in linked_done[subject_pk]:
                    linked_done[subject_pk].append(label)
    _scrub_emails(addresses)
    content_type = ContentType.objects.get_for_model(model)
    who = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    # COPY (crm.bench_load): bulk_create of 500 rows with their indexes costs a quarter second.
    copy_rows(
        GdprEvent,
        (
            {
                "action": GdprEvent.Action.ANONYMISE,
                "actor_id": getattr(who, "pk", None),
                "content_type_id": content_type.pk,
                "object_id": pk,
                "fields": covered,
                "detail": {"linked": linked_done.get(pk, [])},
                "reason": "",
                "created_at": now,
            }
            for pk in pks
        ),
    )
    audit_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    copy_rows(
        AuditEvent,
        (
            {
                "actor_id": getattr(who, "pk", None),
                "verb": "anonymise",
                "content_type_id": audit_type.pk,
                "object_id": str(record.pk),
                "object_repr": str(record)[:200],
                "changes": {"fields": covered},
                "created_at": now,
            }
            for record in records
        ),
    )
    return len(records)


def check_may_manage(actor, records: Iterable[models.Model]) -> None:
    """PermissionDenied unless `actor` holds the GDPR permission and may edit every record."""
    if not actor.has_perm(MANAGE_PERMISSION):
        raise PermissionDenied
    for record in records:
        if not access.can_edit(actor, record):
            raise PermissionDenied


@transaction.atomic
def records_anonymise(*, actor, model: type[models.Model], pks: Iterable[int], checked: bool = False) -> int:
    """Anonymise the records `pks` of a subject model in one transaction; those already
    anonymised are left alone. Returns how many were anonymised now."""
    subject = _subject_of(model)
    covered = GdprSettings.load().covered_fields(subject)
    # Outside the subject's scope (a lead converted into a person): the person is the subject.
    records = list(
        subject.in_scope(model._base_manager.select_for_update().filter(pk__in=list(pks))).order_by("pk")
    )
    if not checked:
        check_may_manage(actor, records)
    ids = [record.pk for record in records]
    return sum(
        _anonymise_batch(
            actor=actor, subject=subject, pks=ids[start : start + RETENTION_BATCH], covered=covered
        )
        for start in range(0, len(ids), RETENTION_BATCH)
    )


def record_anonymise(*, actor, record: models.Model) -> bool:
    """Anonymise one person (irreversible); False when they already were."""
    return records_anonymise(actor=actor, model=type(record), pks=[record.pk]) == 1


@transaction.atomic
def records_touch(*, actor, model: type[models.Model], pks: Iterable[int], reason: str = "") -> int:
    """Reset the last-touched date of the records `pks` to now, logged with the reason."""
    subject = _subject_of(model)
    records = list(model._base_manager.select_for_update().filter(pk__in=list(pks)).order_by("pk"))
    check_may_manage(actor, records)
    now = timezone.now()
    model._base_manager.filter(pk__in=[record.pk for record in records]).update(
        **{subject.touched_field: now}
    )
    content_type = ContentType.objects.get_for_model(model)
    GdprEvent.objects.bulk_create(
        GdprEvent(
            action=GdprEvent.Action.TOUCH,
            actor=actor,
            content_type=content_type,
            object_id=record.pk,
            fields=[subject.touched_field],
            reason=reason[:200],
            created_at=now,
        )
        for record in records
    )
    return len(records)


def retention_cutoff(months: int, *, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=round(months * DAYS_PER_MONTH))


def unit_periods(subject: registry.Subject) -> dict[Any, int]:
    """{unit id: months} of the business units with a retention period of their own."""
    unit_model = subject.unit_model
    if unit_model is None:
        return {}
    content_type = ContentType.objects.get_for_model(unit_model)
    return dict(
        RetentionOverride.objects.filter(content_type=content_type).values_list("object_id", "months")
    )


def _due(
    subject: registry.Subject,
    settings_row: GdprSettings,
    periods: dict[Any, int],
    now: datetime.datetime,
    *,
    ahead: datetime.timedelta = datetime.timedelta(0),
) -> Q | None:
    """The subject's rows whose retention period ends before `now + ahead`: each business unit's
    own period, the global one for the rest. None: the job is off for all of them."""
    touched = subject.touched_field
    parts = [
        Q(**{subject.unit_field: unit, f"{touched}__lt": retention_cutoff(months, now=now) + ahead})
        for unit, months in periods.items()
        if months
    ]
    if settings_row.retention_months:
        rest = Q(**{f"{touched}__lt": retention_cutoff(settings_row.retention_months, now=now) + ahead})
        if periods:
            rest &= Q(**{f"{subject.unit_field}__isnull": True}) | ~Q(
                **{f"{subject.unit_field}__in": list(periods)}
            )
        parts.append(rest)
    if not parts:
        return None
    return functools.reduce(lambda left, right: left | right, parts)


def _unheld(subject: registry.Subject, due: Q) -> models.QuerySet:
    """The subject's rows `due`, not anonymised and held by no app (registry.Hold: an open deal
    the person is a contact of)."""
    model = subject.model
    rows = subject.in_scope(model._base_manager.filter(due)).exclude(anonymised(model))
    for hold in registry.holds_for(subject.key):
        rows = rows.exclude(hold.condition())
    return rows


def _held_count(subject: registry.Subject, due: Q) -> int:
    model = subject.model
    all_due = subject.in_scope(model._base_manager.filter(due)).exclude(anonymised(model))
    return all_due.count() - _unheld(subject, due).count()


def retention_active(settings_row: GdprSettings) -> bool:
    return bool(settings_row.retention_months) or RetentionOverride.objects.filter(months__gt=0).exists()


def retention_heads_up(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Mail each owner the list of their people the retention job will anonymise within the
    heads-up period; one mail per owner per day (crm.email's dedupe key), so running twice sends
    nothing more. Returns (people announced, mails queued or found queued)."""
    settings_row = GdprSettings.load()
    if not settings_row.heads_up_days or not retention_active(settings_row):
        return 0, 0
    now = now or timezone.now()
    ahead = datetime.timedelta(days=settings_row.heads_up_days)
    day = timezone.localdate(now)
    people = mails = 0
    for subject in registry.subjects():
        model = subject.model
        if not _has_field(model, "owner"):
            continue  # nobody to tell
        periods = unit_periods(subject)
        due_soon = _due(subject, settings_row, periods, now, ahead=ahead)
        if due_soon is None:
            continue
        due_now = _due(subject, settings_row, periods, now)
        coming = _unheld(subject, due_soon).filter(owner__is_active=True).exclude(due_now)
        months = settings_row.retention_months or max(periods.values(), default=0)
        counts = dict(coming.values_list("owner").annotate(count=Count("pk")).order_by())
        owners = get_user_model()._base_manager.in_bulk(list(counts))
        for owner_pk, count in sorted(counts.items()):
            owner = owners[owner_pk]
            if not owner.email:
                continue
            rows = list(coming.filter(owner=owner).order_by(subject.touched_field, "pk")[:HEADS_UP_LISTED])
            context = {
                "owner": owner,
                "subject": subject,
                "rows": [(row, getattr(row, subject.touched_field)) for row in rows],
                "count": count,
                "more": count - len(rows),
                "deadline": timezone.localdate(now + ahead),
                "months": months,
            }
            email_queue(
                recipients=[owner.email],
                subject="".join(render_to_string("gdpr/heads_up_subject.txt", context).splitlines()),
                body_text=render_to_string("gdpr/heads_up_body.txt", context),
                dedupe_key=f"gdpr-heads-up:{subject.key}:{owner.pk}:{day.isoformat()}",
            )
            people += count
            mails += 1
    return people, mails


def _analyse_log() -> None:
    """Refresh PostgreSQL's statistics of the GDPR log in the middle of a long run: the candidates'
    NOT EXISTS on it is planned from them, and a log thought empty while it gains thousands of
    rows per minute gets a plan that reads all of it once per candidate (seconds per batch)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(GdprEvent._meta.db_table)}")


def retention_anonymise(*, batch_size: int = RETENTION_BATCH, now: datetime.datetime | None = None) -> int:
    """The daily retention job: the owners' heads-up, then every person untouched for longer than
    the retention period and held by no app is anonymised, a batch per transaction (a failure
    keeps the finished batches), then a report row (GdprEvent "retention" with the counts). Safe
    to run twice or concurrently: anonymised rows drop out of the query, locked ones are skipped
    and the heads-up goes once per owner and day."""
    settings_row = GdprSettings.load()
    if not retention_active(settings_row):
        return 0
    now = now or timezone.now()
    announced, mails = retention_heads_up(now=now)
    total = held = 0
    units: dict[str, dict[str, int]] = {}
    for subject in registry.subjects():
        periods = unit_periods(subject)
        due = _due(subject, settings_row, periods, now)
        if due is None:
            continue
        if periods:
            units[subject.key] = {str(unit): months for unit, months in periods.items()}
        covered = settings_row.covered_fields(subject)
        touched = subject.touched_field
        _analyse_log()
        batches = 0
        after = None  # keyset: each batch starts after the last one, not from the top again
        while True:
            with transaction.atomic():
                candidates = _unheld(subject, due)
                if after is not None:
                    candidates = candidates.filter(
                        Q(**{f"{touched}__gt": after[0]}) | Q(**{touched: after[0], "pk__gt": after[1]})
                    )
                batch = list(
                    candidates.order_by(touched, "pk")
                    .select_for_update(skip_locked=True)
                    .values_list(touched, "pk")[:batch_size]
                )
                if not batch:
                    break
                after = batch[-1]
                pks = [pk for _touched, pk in batch]
                total += _anonymise_batch(actor=None, subject=subject, pks=pks, covered=covered)
            batches += 1
            if batches % ANALYSE_EVERY == 0:
                _analyse_log()
        held += _held_count(subject, due)
    GdprEvent.objects.create(
        action=GdprEvent.Action.RETENTION_RUN,
        detail={
            "anonymised": total,
            "held": held,
            "heads_up_people": announced,
            "heads_up_mails": mails,
            "cutoff": retention_cutoff(settings_row.retention_months, now=now).isoformat(),
            "months": settings_row.retention_months,
            "units": units,
        },
    )
    return total


@transaction.atomic
def settings_update(
    *, actor, anonymised_fields: list[str], retention_months: int, heads_up_days: int | None = None
) -> GdprSettings:
    """Change the GDPR settings (Administrators); validated against the registry."""
    settings_row = GdprSettings.load()
    settings_row.anonymised_fields = sorted(set(anonymised_fields))
    settings_row.retention_months = retention_months
    if heads_up_days is not None:
        settings_row.heads_up_days = heads_up_days
    settings_row.full_clean()
    settings_row.save()
    audit_record(
        actor=actor,
        verb="update",
        instance=settings_row,
        changes={
            "anonymised_fields": settings_row.anonymised_fields,
            "retention_months": retention_months,
            "heads_up_days": settings_row.heads_up_days,
        },
    )
    return settings_row


def unit_choices() -> list[tuple[str, str]]:
    """The business units a retention period may be set for: "<content type id>:<id>", name."""
    choices = []
    for model in dict.fromkeys(subject.unit_model for subject in registry.subjects() if subject.unit_model):
        content_type = ContentType.objects.get_for_model(model)
        # Lookup lists are short (business units); capped all the same.
        for unit in model._default_manager.order_by("pk")[:500]:
            choices.append((f"{content_type.pk}:{unit.pk}", str(unit)))
    return choices


@transaction.atomic
def retention_override_set(*, actor, unit: models.Model, months: int | None) -> RetentionOverride | None:
    """Give the business unit `unit` a retention period of its own (None: the global one again)."""
    if not any(subject.unit_model is type(unit) for subject in registry.subjects()):
        raise ValueError(type(unit)._meta.label)
    content_type = ContentType.objects.get_for_model(type(unit))
    if months is None:
        RetentionOverride.objects.filter(content_type=content_type, object_id=unit.pk).delete()
        row = None
    else:
        row = RetentionOverride.objects.filter(content_type=content_type, object_id=unit.pk).first()
        row = row or RetentionOverride(content_type=content_type, object_id=unit.pk)
        row.months = months
        row.full_clean()
        row.save()
    settings_row = GdprSettings.load()
    audit_record(
        actor=actor,
        verb="update",
        instance=settings_row,
        changes={"unit_retention": {"unit": str(unit), "months": months}},
    )
    return row
