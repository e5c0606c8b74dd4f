"""Minimum information per kind of record (seed 000), as the administrator sets it.

Seed 000 lists what every person, company and lead must have ("Minimum: Name, Email, Phone,
Business Unit, Company, Title" …). Those fields are required by default (rows of
`RequiredField`, seeded by a migration); an administrator relaxes one, or requires another field
of the edit form, in Django admin. The name a record is known by is required by the model
itself and cannot be relaxed: lists, search, duplicate matching and every link show it.

Forms, the import and the API ask this module, so all of them refuse the same records with the
same message. Records saved before a field became required are not blocked elsewhere (owner,
board, notes and conversion go through their own services): their card lists what is missing.
The setting is read through crm.lookup_cache, so a form costs no query per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from contacts.models import RequiredField
from crm import lookup_cache

CACHE_KEY = "contacts.required-fields"


@dataclass(frozen=True)
class Target:
    model: type[models.Model]
    fields: tuple[str, ...]  # what may be required: the full edit form's own fields, in its order
    always: tuple[str, ...]  # what the model itself requires (the name; a lead's status): never relaxed


_targets: dict[str, Target] = {}


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _can_be_required(field) -> bool:
    # A required tick box would mean "must be ticked", and relations to many or JSON values are
    # not one value the form asks for.
    return (
        field.concrete
        and field.editable
        and not field.many_to_many
        and not isinstance(field, (models.BooleanField, models.JSONField))
    )


def register(model: type[models.Model], *, form_fields: Iterable[str]) -> None:
    """Offer `model` to the setting; `form_fields` are those of its full edit form.

    Called from each app's AppConfig.ready(), so contacts names no app above it."""
    fields = []
    for name in form_fields:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if _can_be_required(field):
            fields.append(name)
    always = tuple(name for name in fields if not model._meta.get_field(name).blank)
    _targets[_label(model)] = Target(model=model, fields=tuple(fields), always=always)


def target_choices() -> list[tuple[str, str]]:
    """(model label, name) of each registered kind of record, for RequiredField.target."""
    return [(label, capfirst(target.model._meta.verbose_name)) for label, target in _targets.items()]


def _target(model: type[models.Model]) -> Target:
    try:
        return _targets[_label(model)]
    except KeyError:
        raise LookupError(f"{_label(model)} is not registered with contacts.required_fields") from None


def _setting() -> dict[str, frozenset[str]]:
    required: dict[str, set[str]] = {}
    for target, field_name in RequiredField.objects.filter(is_required=True).values_list(
        "target", "field_name"
    ):
        required.setdefault(target, set()).add(field_name)
    return {target: frozenset(names) for target, names in required.items()}


def required_fields_for(model: type[models.Model]) -> tuple[str, ...]:
    """The fields every `model` record must have, in its form's order (the name included)."""
    target = _target(model)
    chosen = lookup_cache.cached(CACHE_KEY, _setting).get(_label(model), frozenset())
    return tuple(name for name in target.fields if name in target.always or name in chosen)


def _is_empty(record: models.Model, name: str) -> bool:
    field = record._meta.get_field(name)
    value = getattr(record, field.attname)
    if isinstance(value, str):
        return not value.strip()
    return value in field.empty_values


def missing_fields(record: models.Model) -> list[str]:
    """The required fields `record` lacks, by name (empty: the record is complete)."""
    return [name for name in required_fields_for(type(record)) if _is_empty(record, name)]


def field_label(model: type[models.Model], name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def missing_labels(record: models.Model) -> list[str]:
    """The labels of the required fields `record` lacks, for its card."""
    return [field_label(type(record), name) for name in missing_fields(record)]


def label_of(*, target: str, field_name: str) -> str:
    """A setting row's field as the forms label it ("" when the row names no such field)."""
    registered = _targets.get(target)
    if registered is None or field_name not in registered.fields:
        return ""
    return field_label(registered.model, field_name)


def required_message(model: type[models.Model], name: str) -> str:
    """What a form, an import row or an API answer says when `name` is left empty."""
    return _("%(field)s is required for every %(record)s.") % {
        "field": field_label(model, name),
        "record": model._meta.verbose_name,
    }


def validate_required(record: models.Model) -> None:
    """Raise ValidationError naming each missing field (for the import and the API)."""
    model = type(record)
    missing = missing_fields(record)
    if missing:
        raise ValidationError({name: required_message(model, name) for name in missing})


def _is_empty_value(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == {}


def validate_values(
    model: type[models.Model], values: dict, *, required: Sequence[str] | None = None
) -> None:
    """Raise ValidationError naming each required field that `values` leaves empty.

    The create and update services call this, so the forms, admin, the import and the API refuse
    the same values with the same message. Only the fields given are checked: a service writes
    nothing else, so a record saved before a field became required is not blocked from other
    edits (its owner, its status), and a caller that fills in only some fields (lead conversion
    copies what the lead knows) makes a record its card flags as incomplete. `required`: the
    setting as `required_fields_for(model)` answered it, for a caller that checks many records
    (an import batch) and reads it once."""
    errors = {
        name: required_message(model, name)
        for name in (required_fields_for(model) if required is None else required)
        if name in values and _is_empty_value(values[name])
    }
    if errors:
        raise ValidationError(errors)


def setting_errors(*, target: str, field_name: str, is_required: bool) -> dict[str, str]:
    """What is wrong with a row of the setting (RequiredField.clean shows it in admin)."""
    registered = _targets.get(target)
    if registered is None:
        return {}  # an unknown target is refused by the field's choices
    if field_name not in registered.fields:
        return {
            "field_name": _(
                "%(record)s has no field “%(name)s” that can be required. Choose one of: %(names)s."
            )
            % {
                "record": capfirst(registered.model._meta.verbose_name),
                "name": field_name,
                "names": ", ".join(registered.fields),
            }
        }
    if field_name in registered.always and not is_required:
        return {
            "is_required": _("%(field)s is always required: no %(record)s can be saved without it.")
            % {
                "field": field_label(registered.model, field_name),
                "record": registered.model._meta.verbose_name,
            }
        }
    return {}
