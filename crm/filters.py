"""List filters, shaped by the admin's search configuration (seed 001: per field, a dropdown of
existing values or a free-text box) and by the custom fields marked filterable."""

from __future__ import annotations

import copy

import django_filters
from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm import custom_fields, lookup_cache
from crm.form_rendering import FastSelect
from crm.models import CustomFieldDefinition, SearchField, Team, User
from crm.search import search

MAX_DROPDOWN_VALUES = 200


class CustomFieldFilter(django_filters.Filter):
    """Filters on one admin-defined custom field stored in the record's JSON column."""

    def __init__(self, definition: CustomFieldDefinition, **kwargs):
        self.definition = definition
        self.field_class = type(custom_fields.form_field(definition, for_filter=True))
        super().__init__(label=definition.label, **kwargs)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            self._field = custom_fields.form_field(self.definition, for_filter=True)
        return self._field

    def filter(self, queryset, value):
        return custom_fields.apply_filters(
            queryset, [self.definition], {custom_fields.FORM_PREFIX + self.definition.key: value}
        )


def _existing_values(queryset: models.QuerySet, field_name: str) -> list[tuple[str, str]]:
    values = (
        queryset.exclude(**{field_name: ""})
        .order_by(field_name)
        .values_list(field_name, flat=True)
        .distinct()[:MAX_DROPDOWN_VALUES]
    )
    return [(value, value) for value in values]


def field_filter(
    model: type[models.Model], field_name: str, mode: str, *, queryset: models.QuerySet | None = None
) -> django_filters.Filter:
    """The filter for one configured field: a dropdown or a free-text box. A dropdown of existing
    values offers only values of `queryset` (the records the user can see)."""
    field = model._meta.get_field(field_name)
    label = capfirst(field.verbose_name)
    dropdown = mode == SearchField.Mode.DROPDOWN
    if field.is_relation:
        related = field.related_model
        if dropdown:
            return django_filters.ModelChoiceFilter(
                field_name=field_name,
                queryset=related._default_manager.all(),
                label=label,
                distinct=field.many_to_many,
            )
        text_field = "name" if hasattr(related, "name") else "pk"
        return django_filters.CharFilter(
            field_name=f"{field_name}__{text_field}",
            lookup_expr="icontains",
            label=label,
            distinct=field.many_to_many,
        )
    if field.choices:
        if dropdown:
            return django_filters.ChoiceFilter(field_name=field_name, choices=field.choices, label=label)
        return django_filters.CharFilter(field_name=field_name, lookup_expr="iexact", label=label)
    if isinstance(field, models.BooleanField):
        return django_filters.BooleanFilter(field_name=field_name, label=label)
    if dropdown:
        # Its options are values of the records themselves, not of a watched table.
        return django_filters.ChoiceFilter(
            field_name=field_name,
            choices=lambda: _existing_values(
                queryset if queryset is not None else model._default_manager.all(), field_name
            ),
            label=label,
        )
    return django_filters.CharFilter(field_name=field_name, lookup_expr="icontains", label=label)


class _FieldsOfOneForm(dict):
    """A form class's fields that only one form instance uses: Form.__init__'s deep copy of
    `base_fields` is a shallow copy of the dict."""

    def __deepcopy__(self, memo):
        return dict(self)


class _FiltersCopiedShallow(dict):
    """A filter set class's filters, copied one level deep for each new filter set (FilterSet
    deep-copies them): what a filter set sets (model, parent, a queryset, the field a filter
    builds, its `extra` arguments) it sets on its own copy; nothing changes the values inside.
    Deep copies of the querysets, choices and widgets inside were ~1.5 ms of a list request."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copies[name] = filter_copy = copy.copy(filter_)
            filter_copy.__dict__.pop("_field", None)  # each copy builds its own form field
            # A model choice filter writes its queryset into `extra` when it builds its field.
            filter_copy.extra = dict(filter_.extra)
            if filter_.method is not None:  # its FilterMethod must call the copy's parent
                filter_copy.method = filter_.method
        return copies


class ConfigurableFilterSet(django_filters.FilterSet):
    """Search box, owner and team always; then the configured fields; then custom fields."""

    list_name: str  # as registered with crm.search.register_search_list
    configurable_fields: list[str]
    default_fields: list[str]

    q = django_filters.CharFilter(label=_("Search"), method="search_text")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), label=_("Owner"), method="owned_by"
    )
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Team"))

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.user = user
        # The dropdown shows each user's name (first and last name, else the username).
        self.filters["owner"].queryset = User.objects.filter(is_active=True).only(
            "first_name", "last_name", "username"
        )
        configured = lookup_cache.cached(
            ("search-fields", self.list_name, tuple(self.configurable_fields)),
            lambda: dict(
                SearchField.objects.filter(
                    list_name=self.list_name, field_name__in=self.configurable_fields
                ).values_list("field_name", "mode")
            ),
        ) or dict.fromkeys(self.default_fields, SearchField.Mode.DROPDOWN)
        extra = {
            name: field_filter(self._meta.model, name, mode, queryset=self.queryset)
            for name, mode in configured.items()
        }
        # Read once here; the list views take their custom columns from it too.
        self.custom_field_definitions = (
            custom_fields.definitions_for(self.custom_field_model) if self.custom_field_model else []
        )
        for definition in self.custom_field_definitions:
            if definition.filterable:
                extra[custom_fields.FORM_PREFIX + definition.key] = CustomFieldFilter(definition)
        ordering = self.filters.pop("ordering")
        for name, extra_filter in extra.items():
            extra_filter.model = self._meta.model
            extra_filter.parent = self
            self.filters[name] = extra_filter
        self.filters["ordering"] = ordering  # keep the sort last in the filter bar

    custom_field_model: type[models.Model] | None = None

    @classmethod
    def get_filters(cls):
        return _FiltersCopiedShallow(super().get_filters())

    def get_form_class(self):
        form_class = super().get_form_class()
        # The class and its fields are new for this filter set (its filters are deep copies, each
        # builds its own field) and serve its one form: the form need not deep-copy them again
        # (fields, widgets, querysets, choices: ~300 copies a list request).
        form_class.base_fields = _FieldsOfOneForm(form_class.base_fields)
        return form_class

    @property
    def form(self):
        # Bootstrap classes set once here: the filter bar renders its fields directly, which is
        # several times cheaper than crispy-forms' per-field templates on every list view.
        form = super().form
        if not getattr(form, "styled", False):
            for name, field in form.fields.items():
                if isinstance(field, forms.ModelChoiceField) and lookup_cache.is_watched(
                    field.queryset.model
                ):
                    # Small admin-edited tables (users, teams, sectors, stages…): their options
                    # are read once per process until one changes. A chosen value is still
                    # checked against the queryset.
                    field.widget.choices = lookup_cache.cached(
                        ("filter-choices", type(self).__qualname__, name, get_language()),
                        lambda field=field: [
                            ("" if value == "" else str(value), str(label)) for value, label in field.choices
                        ],
                    )
                css_class = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css_class)
                if type(field.widget) is forms.Select:
                    # The same <select>, written without a template per option (~100 per bar).
                    field.widget.__class__ = FastSelect
            form.styled = True
        return form

    @property
    def qs(self):
        if not hasattr(self, "_qs") and not self.is_filtered:
            # Nothing chosen (the list as first opened, or only a page number): every filter
            # would pass the records through unchanged, so the form is neither built nor
            # validated (~2.5 ms of a list request, most of it the form's fields).
            self._qs = self.queryset.all()
        return super().qs

    def search_text(self, queryset, name, value):
        return search(queryset, value)

    def owned_by(self, queryset, name, value):
        return queryset.filter(owner=value)

    def rendering_key(self) -> tuple | None:
        """What this filter bar's HTML shows besides watched tables (its class, the language and
        the query string), or None when a field offers values read from the records themselves
        (a dropdown of existing e-mail domains) or from a table nobody watches. Read from the
        filters, so that a bar served from the cache never builds its form."""
        model_choices = (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)
        for filter_ in self.filters.values():
            if isinstance(filter_, model_choices):
                options_kept = lookup_cache.is_watched(filter_.queryset.model)
            elif isinstance(filter_, CustomFieldFilter):
                options_kept = not isinstance(filter_.field, forms.ModelChoiceField)
            else:
                options_kept = not callable(filter_.extra.get("choices"))
            if not options_kept:
                return None
        query = tuple(sorted((key, tuple(self.data.getlist(key))) for key in self.data)) if self.data else ()
        return (type(self).__module__, type(self).__qualname__, get_language(), query)

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            value not in ("", None) for key, value in self.data.items() if key != "page"
        )
