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
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted((_jsonable(item) for item in value), key=str)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _differs(before: Any, after: Any) -> bool:
    return _jsonable(before) != _jsonable(after)


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


def _attribute_history(instance: models.Model, actor) -> None:
    """Name the actor in django-simple-history's row, also outside a request (tasks, imports)."""
    if getattr(actor, "is_authenticated", False):
        instance._history_user = actor


def _split_many_to_many(model, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    many_to_many = {field.name for field in model._meta.many_to_many}
    plain = {name: value for name, value in changes.items() if name not in many_to_many}
    related = {name: value for name, value in changes.items() if name in many_to_many}
    return plain, related


@transaction.atomic
def record_create(
    *, actor, instance: models.Model, many_to_many: dict[str, Any] | None = None
) -> models.Model:
    """Validate and insert a record (and its many-to-many values), with an audit row."""
    _attribute_history(instance, actor)
    instance.full_clean()
    instance.save()
    for name, values in (many_to_many or {}).items():
        getattr(instance, name).set(values)
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
    plain, related = _split_many_to_many(model, changes)
    for name, value in plain.items():
        setattr(stored, name, value)
    stored.full_clean()
    _attribute_history(stored, actor)
    stored.version = stored.version + 1
    stored.save()
    for name, values in related.items():
        getattr(stored, name).set(values)
    changed = {name: value for name, value in changes.items() if _differs(before.get(name), value)}
    audit_record(actor=actor, verb="update", instance=stored, changes=changed)
    return stored


@transaction.atomic
def record_delete(*, actor, instance: models.Model) -> None:
    _attribute_history(instance, actor)
    audit_record(actor=actor, verb="delete", instance=instance)
    instance.delete()
