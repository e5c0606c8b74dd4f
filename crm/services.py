"""Kernel services shared by every app: audit rows and versioned updates of owned records."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.forms.models import model_to_dict

from crm.exceptions import StaleRecordError
from crm.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def audit_record(*, actor, verb: str, instance: models.Model, changes: dict | None = None) -> AuditEvent:
    """Write one audit row: who did `verb` to `instance`, with the changed field names/values."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes={name: _jsonable(value) for name, value in (changes or {}).items()},
    )


@transaction.atomic
def record_create(*, actor, instance: models.Model) -> models.Model:
    """Validate and insert an owned record, with an audit row."""
    instance.full_clean()
    instance.save()
    audit_record(actor=actor, verb="create", instance=instance)
    return instance


@transaction.atomic
def record_update(*, actor, instance: models.Model, changes: dict[str, Any], expected_version: int):
    """Apply `changes` to `instance` unless someone saved it since `expected_version`.

    Raises StaleRecordError carrying the stored record; nothing is written then.
    """
    model = type(instance)
    stored = model._default_manager.select_for_update().get(pk=instance.pk)
    if stored.version != expected_version:
        raise StaleRecordError(current=stored)
    before = model_to_dict(stored, fields=list(changes))
    for name, value in changes.items():
        setattr(stored, name, value)
    stored.full_clean()
    stored.version = stored.version + 1
    stored.save()
    changed = {
        name: value for name, value in changes.items() if _jsonable(before.get(name)) != _jsonable(value)
    }
    audit_record(actor=actor, verb="update", instance=stored, changes=changed)
    return stored


@transaction.atomic
def record_delete(*, actor, instance: models.Model) -> None:
    audit_record(actor=actor, verb="delete", instance=instance)
    instance.delete()
