"""Names of linked records, shown only to who may see them.

A record the user may see often points to records they may not: a deal's company or primary
contact, a person's company, a lead's converted deal. Opening those answers 404 (crm.access),
so every page, list, export and history that shows a linked record shows it only when it is
visible to the viewer, and otherwise the words "hidden record" (`HIDDEN_RECORD`), never its name.

The visibility of the linked records travels with the query that reads them, so a list of any
length costs no extra query: `annotate_visible` adds a boolean `<relation>_visible` per relation,
an EXISTS over the linked model's `visible_to(user)` (or a constant for who sees everything).
Templates render the result with `{% linked_record record visible %}` (crm/templatetags/
linked_records.py); exports with `crm.exports.visible_only`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.utils.translation import gettext_lazy

from crm import access
from crm.models import OwnedModel

HIDDEN_RECORD = gettext_lazy("hidden record")


def flag_name(relation: str) -> str:
    """The annotation that says whether the record linked by `relation` is visible:
    "company" → "company_visible", "deal__company" → "deal_company_visible"."""
    return f"{relation.replace('__', '_')}_visible"


def _related_model(model: type[models.Model], relation: str) -> type[models.Model]:
    for name in relation.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def has_visibility(model: type[models.Model]) -> bool:
    """Whether records of `model` are hidden from some users (owned records are; lookups, users,
    teams and stages are not)."""
    return issubclass(model, OwnedModel)


def visible_expression(model: type[models.Model], relation: str, user) -> models.Expression:
    """False only where `relation` of a `model` row points to a record `user` may not see (true
    where it points to none): one EXISTS inside the row's own query."""
    related = _related_model(model, relation)
    if not has_visibility(related) or access.visibility_scope(user) is None:
        return Value(True, output_field=BooleanField())
    visible = Exists(access.visible_to(related._default_manager.filter(pk=OuterRef(relation)), user))
    return ExpressionWrapper(Q(**{f"{relation}__isnull": True}) | Q(visible), output_field=BooleanField())


def annotate_visible(queryset: models.QuerySet, user, *relations: str) -> models.QuerySet:
    """`queryset` with a boolean `flag_name(relation)` for each of `relations`."""
    return queryset.annotate(
        **{flag_name(relation): visible_expression(queryset.model, relation, user) for relation in relations}
    )


def annotate_own_visibility(queryset: models.QuerySet, user) -> models.QuerySet:
    """`queryset` with a boolean `visible` on each record: whether `user` may see it (for lists
    of records reached by id, such as the former values in a change history)."""
    model = queryset.model
    if not has_visibility(model) or access.visibility_scope(user) is None:
        return queryset.annotate(visible=Value(True, output_field=BooleanField()))
    return queryset.annotate(
        visible=Exists(access.visible_to(model._default_manager.filter(pk=OuterRef("pk")), user))
    )
