"""The subject-access export: everything held on one person, as JSON or a readable HTML page.

Linked records come from gdpr.registry and are shown only when the viewer may see them (a lead
or activity hidden from the viewer is counted, never named)."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from crm import access
from crm import linked as linked_records
from crm.documents import documents_of
from gdpr import registry
from gdpr.models import GdprEvent

SKIPPED = {"search_text", "search_vector", "version"}
LINKED_CAP = 1000  # per kind of linked record; more is stated in "truncated"


def _value(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def _related_name(related: models.Model | None, user) -> str | None:
    """A linked record's name, or "hidden record" when `user` may not see it (crm.linked)."""
    if related is None:
        return None
    if (
        linked_records.has_visibility(type(related))
        and not _visible(type(related)._default_manager.filter(pk=related.pk), user).exists()
    ):
        return str(linked_records.HIDDEN_RECORD)
    return str(related)


def _row(record: models.Model, user, names: list[str] | None = None) -> dict[str, Any]:
    model = type(record)
    fields = [model._meta.get_field(name) for name in names] if names else model._meta.concrete_fields
    row = {}
    for field in fields:
        if field.name in SKIPPED:
            continue
        if field.is_relation:
            row[str(field.verbose_name)] = _related_name(getattr(record, field.name), user)
        else:
            row[str(field.verbose_name)] = _value(getattr(record, field.attname))
    return row


def _visible(queryset: models.QuerySet, user) -> models.QuerySet:
    manager = queryset.model._default_manager
    if hasattr(manager, "visible_to"):
        return queryset.filter(pk__in=manager.visible_to(user).values("pk"))
    return access.visible_to(queryset, user)


@transaction.atomic
def subject_access_data(*, actor, record: models.Model) -> dict[str, Any]:
    """What the export holds; logged as an export by `actor` (the caller checked visibility)."""
    subject = registry.subject_for_model(type(record))
    if subject is None:
        raise ValueError(type(record)._meta.label)
    data: dict[str, Any] = {
        "record": {"kind": str(type(record)._meta.verbose_name), "id": record.pk},
        "fields": _row(record, actor),
        "consent": {
            str(type(record)._meta.get_field(name).verbose_name): getattr(record, name)
            for name in subject.consent_fields
        },
        "linked": {},
        "documents": [
            {"name": document.name, "size": document.size, "uploaded_at": str(document.uploaded_at)}
            for document in documents_of(record)[:LINKED_CAP]
        ],
    }
    for linked in registry.linked_to(subject.key):
        everything = linked.model._base_manager.filter(**{linked.lookup: record}).distinct()
        shown = list(_visible(everything, actor).order_by("pk")[: LINKED_CAP + 1])
        entry = data["linked"].setdefault(str(linked.label), {"records": [], "hidden": 0, "truncated": False})
        entry["records"] += [
            _row(row, actor, list(linked.export_fields) or None) for row in shown[:LINKED_CAP]
        ]
        entry["truncated"] = entry["truncated"] or len(shown) > LINKED_CAP
        entry["hidden"] += everything.count() - _visible(everything, actor).count()
    content_type = ContentType.objects.get_for_model(type(record))
    data["gdpr_log"] = [
        {"action": event.action, "when": str(event.created_at), "fields": event.fields}
        for event in GdprEvent.objects.filter(content_type=content_type, object_id=record.pk)[:LINKED_CAP]
    ]
    GdprEvent.objects.create(
        action=GdprEvent.Action.EXPORT,
        actor=actor,
        content_type=content_type,
        object_id=record.pk,
        fields=sorted(data["linked"]),
    )
    return data
