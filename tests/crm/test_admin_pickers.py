"""Django admin never loads a big table into a <select>: every relation to a table that grows is an
autocomplete (or a raw id, or read-only), and no list filter offers the rows of such a table."""

import pytest
from django.contrib import admin
from django.contrib.admin import RelatedFieldListFilter

from contacts.models import Company, Person
from crm.models import Document
from leads.models import Lead
from opportunities.models import Deal
from opportunities.sales.models import Quote, SalesOrder

# Tables that grow with the business; lookups, users, teams, pipelines and products stay small.
BIG_MODELS = {Company, Person, Lead, Deal, Quote, SalesOrder, Document}


def admin_classes():
    """Every registered ModelAdmin and every inline of one, with the model it edits."""
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            yield inline.model, inline


def picker_problems(model, model_admin) -> list[str]:
    name = f"{type(model_admin).__name__} ({model._meta.label})"
    readonly = set(model_admin.readonly_fields)
    excluded = set(model_admin.exclude or ())
    fields = None
    if model_admin.fields is not None:
        fields = set(admin.utils.flatten(model_admin.fields))
    elif model_admin.fieldsets:
        fields = set(admin.utils.flatten_fieldsets(model_admin.fieldsets))
    parent_key = getattr(model_admin, "fk_name", None)
    problems = []
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete and field.editable) or field.auto_created:
            continue
        if field.related_model not in BIG_MODELS or field.name in readonly | excluded:
            continue
        if field.many_to_many and not field.remote_field.through._meta.auto_created:
            continue  # a many-to-many with its own model is edited through an inline, not a select
        if fields is not None and field.name not in fields:
            continue
        if isinstance(model_admin, admin.options.InlineModelAdmin) and (
            field.name == parent_key or field.related_model is model_admin.parent_model
        ):
            continue  # the inline's link to the record being edited: a hidden input
        if field.name not in {*model_admin.autocomplete_fields, *model_admin.raw_id_fields}:
            problems.append(f"{name}.{field.name} renders every {field.related_model.__name__} in a select")
    return problems


def filter_problems(model, model_admin) -> list[str]:
    problems = []
    for entry in getattr(model_admin, "list_filter", ()):
        if isinstance(entry, tuple):
            field_path, filter_class = entry
        elif isinstance(entry, str):
            field_path, filter_class = entry, RelatedFieldListFilter
        else:
            continue
        field = admin.utils.get_fields_from_path(model, field_path)[-1]
        if (
            field.is_relation
            and field.related_model in BIG_MODELS
            and issubclass(filter_class, RelatedFieldListFilter)
        ):
            problems.append(f"{type(model_admin).__name__}: list filter {field_path} lists every row")
    return problems


def test_every_admin_relation_to_a_big_table_is_an_autocomplete():
    problems = [
        problem for model, model_admin in admin_classes() for problem in picker_problems(model, model_admin)
    ]
    assert problems == []


def test_no_admin_list_filter_lists_a_big_table():
    problems = [
        problem for model, model_admin in admin_classes() for problem in filter_problems(model, model_admin)
    ]
    assert problems == []


@pytest.mark.parametrize("model", sorted(BIG_MODELS, key=lambda model: model._meta.label))
def test_big_tables_can_be_searched_by_admin_autocompletes(model):
    """An autocomplete field needs a search on the admin of the model it points to."""
    model_admin = admin.site._registry.get(model)
    assert model_admin is not None and model_admin.search_fields, model._meta.label


def test_the_audit_catches_a_plain_select_over_people():
    class LeakyAdmin(admin.ModelAdmin):
        pass

    assert any(
        "primary_contact" in problem for problem in picker_problems(Deal, LeakyAdmin(Deal, admin.site))
    )
