"""Admin-defined custom fields: form fields, validation, storage, filters and display.

Values are stored in each record's ``custom_fields`` JSON column, keyed by the definition's
key: text and choices as strings, numbers as JSON numbers, dates as ISO strings (which sort
and compare correctly), yes/no as booleans.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.db import models
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from crm import lookup_cache
from crm.models import CustomFieldDefinition

FORM_PREFIX = "cf_"

# The kinds of record that take custom fields, by model label ("contacts.company"), each with
# the name the admin's "record" dropdown shows. Each app registers its own from its
# AppConfig.ready(), so the kernel names no domain app and a new app needs no migration:
# CustomFieldDefinition.target reads its choices from here when a form or check asks.
_targets: dict[str, str] = {}


def register_target(model: type[models.Model], label: str) -> None:
    """Let administrators define custom fields of `model` (its `custom_fields` JSON column)."""
    _targets[model._meta.label_lower] = label


def target_choices() -> list[tuple[str, str]]:
    """(model label, name) of each registered target, in registration order."""
    return list(_targets.items())


def definitions_for(model: type[models.Model]) -> list[CustomFieldDefinition]:
    """The active definitions of `model`, in display order (read once per process until they
    change; the instances are shared, so read-only)."""
    target = f"{model._meta.app_label}.{model._meta.model_name}"
    definitions = lookup_cache.cached(
        ("custom-fields", target),
        lambda: tuple(CustomFieldDefinition.objects.filter(target=target, is_active=True)),
    )
    return list(definitions)


def form_field(definition: CustomFieldDefinition, *, for_filter: bool = False) -> forms.Field:
    required = definition.required and not for_filter
    common = {
        "label": definition.label,
        "required": required,
        # Django's and crispy's form templates print help text with |safe (so that code can put
        # markup in it); an admin's text is plain text, so it is escaped here.
        "help_text": "" if for_filter else escape(definition.help_text),
    }
    kind = CustomFieldDefinition.FieldType
    if definition.field_type == kind.NUMBER:
        return forms.DecimalField(max_digits=18, decimal_places=4, **common)
    if definition.field_type == kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.field_type == kind.CHOICE:
        return forms.ChoiceField(
            choices=[("", "---------"), *[(c, c) for c in definition.choice_list]], **common
        )
    if definition.field_type == kind.BOOLEAN:
        if for_filter:
            return forms.NullBooleanField(
                widget=forms.Select(choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))]),
                **common,
            )
        return forms.BooleanField(**common)
    return forms.CharField(max_length=500, **common)


def to_json(definition: CustomFieldDefinition, value):
    if value in (None, ""):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def from_json(definition: CustomFieldDefinition, value):
    if value is None:
        return None
    if definition.field_type == CustomFieldDefinition.FieldType.DATE:
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return None
    return value


class CustomFieldsFormMixin:
    """Adds a form field per active definition and collects their values in `custom_values`."""

    custom_field_model: type[models.Model]

    def add_custom_fields(self, instance=None) -> None:
        self.custom_definitions = definitions_for(self.custom_field_model)
        stored = (getattr(instance, "custom_fields", None) or {}) if instance is not None else {}
        for definition in self.custom_definitions:
            field = form_field(definition)
            field.initial = from_json(definition, stored.get(definition.key))
            self.fields[FORM_PREFIX + definition.key] = field

    def custom_values(self, existing: dict | None = None) -> dict:
        """The record's new custom_fields: submitted values over `existing` (keeps inactive keys)."""
        values = dict(existing or {})
        for definition in self.custom_definitions:
            values[definition.key] = to_json(definition, self.cleaned_data.get(FORM_PREFIX + definition.key))
        return {key: value for key, value in values.items() if value is not None}


def add_filters(filterset, model: type[models.Model]) -> list[CustomFieldDefinition]:
    """Add a filter form field per filterable definition; returns them for apply_filters."""
    definitions = [d for d in definitions_for(model) if d.filterable]
    for definition in definitions:
        filterset.form.fields[FORM_PREFIX + definition.key] = form_field(definition, for_filter=True)
    return definitions


def apply_filters(queryset: models.QuerySet, definitions, cleaned_data: dict) -> models.QuerySet:
    kind = CustomFieldDefinition.FieldType
    for definition in definitions:
        value = cleaned_data.get(FORM_PREFIX + definition.key)
        if value in (None, ""):
            continue
        lookup = f"custom_fields__{definition.key}"
        if definition.field_type == kind.TEXT:
            queryset = queryset.filter(**{f"{lookup}__icontains": value})
        else:
            queryset = queryset.filter(**{lookup: to_json(definition, value)})
    return queryset


def display_values(instance, definitions) -> list[tuple[str, object]]:
    """(label, value) pairs for a detail page or list row."""
    stored = instance.custom_fields or {}
    return [(d.label, from_json(d, stored.get(d.key))) for d in definitions]
