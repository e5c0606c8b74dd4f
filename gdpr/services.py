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
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from crm import access
from crm.models import AuditEvent, OutboundEmail
from crm.search import normalise_for_search
from crm.services import audit_record
from gdpr import registry
from gdpr.models import GdprEvent, GdprSettings

MANAGE_PERMISSION = "gdpr.manage_personal_data"
EXPORT_PERMISSION = "gdpr.export_personal_data"
REDACTED = "[anonymised]"
# Old values shorter than this are not cut out of free text: "Al" would maim every "also".
SHORTEST_NEEDLE = 3
RETENTION_BATCH = 500
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


def _pattern(values: Iterable[Any]) -> re.Pattern | None:
    needles = {text.strip() for value in values for text in _strings(value)}
    needles = sorted((text for text in needles if len(text) >= SHORTEST_NEEDLE), key=len, reverse=True)
    if not needles:
        return None
    return re.compile("|".join(re.escape(text) for text in needles), re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern | None) -> Any:
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


def _overwrite(record: models.Model, values: dict[str, Any], pattern, text_fields: Iterable[str]) -> None:
    """Write `values` and the scrubbed `text_fields` into the row, with its search text, bypassing
    save() (no new history row carrying a transition, no signals) but bumping the version."""
    model = type(record)
    for name, value in values.items():
        setattr(record, name, value)
    for name in text_fields:
        values[name] = _scrub(getattr(record, name), pattern)
        setattr(record, name, values[name])
    if _has_field(model, "search_text"):
        values["search_text"] = normalise_for_search(" ".join(word for word in record.search_words() if word))
    if _has_field(model, "version"):
        values["version"] = F("version") + 1
    if _has_field(model, "updated_at"):
        values["updated_at"] = timezone.now()
    model._base_manager.filter(pk=record.pk).update(**values)


def _scrub_history(
    model: type[models.Model], pks: list, values: dict[str, Any], pattern, text_fields: Iterable[str]
) -> None:
    """The simple-history copies of the rows `pks`: covered fields replaced, free text scrubbed."""
    history = getattr(model, "history", None)
    if history is None or not pks:
        return
    history_model = history.model
    plain = {name: value for name, value in values.items() if _has_field(history_model, name)}
    rows = history_model._base_manager.filter(id__in=pks)
    if plain:
        rows.update(**plain)
    texts = [name for name in text_fields if _has_field(history_model, name)]
    if texts and pattern is not None:
        for row in rows.only("history_id", *texts):
            scrubbed = {name: _scrub(getattr(row, name), pattern) for name in texts}
            history_model._base_manager.filter(history_id=row.history_id).update(**scrubbed)


def _scrub_audit(model: type[models.Model], pks: list, keys: set[str], pattern, new_repr=None) -> None:
    """Audit rows of the records `pks`: covered fields' values and any old value in the rest."""
    if not pks:
        return
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    events = AuditEvent.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    for event in events.only("pk", "changes", "object_repr", "object_id"):
        changes = event.changes if isinstance(event.changes, dict) else {}
        changes = {
            key: (REDACTED if key in keys else _scrub(value, pattern)) for key, value in changes.items()
        }
        object_repr = new_repr(event.object_id) if new_repr else _scrub(event.object_repr, pattern)
        AuditEvent.objects.filter(pk=event.pk).update(changes=changes, object_repr=object_repr[:200])


def _scrub_emails(addresses: list[str], pattern) -> None:
    """Mails sent to the person: the address out of the recipients, old values out of the text."""
    for address in {address.strip() for address in addresses if address and address.strip()}:
        for email in OutboundEmail.objects.filter(recipients__icontains=address):
            OutboundEmail.objects.filter(pk=email.pk).update(
                recipients=_scrub(email.recipients, pattern),
                subject=_scrub(email.subject, pattern),
                body_text=_scrub(email.body_text, pattern),
                body_html=_scrub(email.body_html, pattern),
                attachments=_scrub(email.attachments, pattern),
            )


def _anonymise_locked(*, actor, subject: registry.Subject, record: models.Model, covered: list[str]) -> bool:
    """Anonymise one locked row not yet anonymised; False if it already was (nothing happens)."""
    if is_anonymised(record):
        return False
    model = subject.model
    old = {name: getattr(record, name) for name in covered}
    pattern = _pattern([*old.values(), str(record)])
    replacements = {name: subject.field(name).replacement_for(record) for name in covered}
    _overwrite(record, dict(replacements), pattern, ())
    _scrub_history(model, [record.pk], replacements, pattern, ())
    new_name = str(record)
    _scrub_audit(model, [record.pk], set(covered), pattern, new_repr=lambda _pk: new_name)
    linked_done = []
    for linked in registry.linked_to(subject.key):
        rows = list(linked.model._base_manager.filter(**{linked.lookup: record}).distinct())
        values = {item.name: item.replacement for item in linked.fields if item.covers in covered}
        for row in rows:
            _overwrite(row, dict(values), pattern, linked.text_fields)
        pks = [row.pk for row in rows]
        _scrub_history(linked.model, pks, values, pattern, linked.text_fields)
        _scrub_audit(linked.model, pks, set(values), pattern)
        if rows:
            linked_done.append(f"{linked.model._meta.label}.{linked.lookup}")
    _scrub_emails([value for value in old.values() if isinstance(value, str) and "@" in value], pattern)
    GdprEvent.objects.create(
        action=GdprEvent.Action.ANONYMISE,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        content_type=ContentType.objects.get_for_model(model),
        object_id=record.pk,
        fields=covered,
        detail={"linked": linked_done},
    )
    audit_record(actor=actor, verb="anonymise", instance=record, changes={"fields": covered})
    return True


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
    records = list(model._base_manager.select_for_update().filter(pk__in=list(pks)).order_by("pk"))
    if not checked:
        check_may_manage(actor, records)
    return sum(
        _anonymise_locked(actor=actor, subject=subject, record=record, covered=covered) for record in records
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


def retention_anonymise(*, batch_size: int = RETENTION_BATCH, now: datetime.datetime | None = None) -> int:
    """Anonymise every person untouched for longer than the retention period, a batch per
    transaction (a failure keeps the finished batches). Safe to run twice or concurrently:
    anonymised rows drop out of the query and locked ones are skipped."""
    settings_row = GdprSettings.load()
    if not settings_row.retention_months:
        return 0
    cutoff = retention_cutoff(settings_row.retention_months, now=now)
    total = 0
    for subject in registry.subjects():
        covered = settings_row.covered_fields(subject)
        model = subject.model
        while True:
            with transaction.atomic():
                batch = list(
                    model._base_manager.filter(**{f"{subject.touched_field}__lt": cutoff})
                    .exclude(anonymised(model))
                    .order_by(subject.touched_field, "pk")
                    .select_for_update(skip_locked=True)[:batch_size]
                )
                if not batch:
                    break
                for record in batch:
                    total += _anonymise_locked(actor=None, subject=subject, record=record, covered=covered)
    GdprEvent.objects.create(
        action=GdprEvent.Action.RETENTION_RUN,
        detail={"anonymised": total, "cutoff": cutoff.isoformat(), "months": settings_row.retention_months},
    )
    return total


@transaction.atomic
def settings_update(*, actor, anonymised_fields: list[str], retention_months: int) -> GdprSettings:
    """Change the GDPR settings (Administrators); validated against the registry."""
    settings_row = GdprSettings.load()
    settings_row.anonymised_fields = sorted(set(anonymised_fields))
    settings_row.retention_months = retention_months
    settings_row.full_clean()
    settings_row.save()
    audit_record(
        actor=actor,
        verb="update",
        instance=settings_row,
        changes={"anonymised_fields": settings_row.anonymised_fields, "retention_months": retention_months},
    )
    return settings_row
