"""Reads of the GDPR pages, always starting from what the user may see."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crm.search import search
from gdpr import registry, services


def people_by_age(*, user, subject: registry.Subject, filters: dict | None = None) -> models.QuerySet:
    """The subject's records `user` may see and that are not anonymised yet, longest untouched
    first; `filters`: the cleaned data of gdpr.forms.AgeFilterForm."""
    model = subject.model
    touched = subject.touched_field
    rows = (
        subject.in_scope(model.objects.visible_to(user))
        .exclude(services.anonymised(model))
        .select_related("owner")
        .order_by(touched, "pk")
    )
    filters = filters or {}
    if filters.get("older_than") is not None:
        rows = rows.filter(**{f"{touched}__lt": services.retention_cutoff(filters["older_than"])})
    if filters.get("younger_than") is not None:
        rows = rows.filter(**{f"{touched}__gte": services.retention_cutoff(filters["younger_than"])})
    if filters.get("owner") is not None:
        rows = rows.filter(owner=filters["owner"])
    if filters.get("consent") and subject.consent_fields:
        rows = rows.filter(Q(**{subject.consent_fields[0]: filters["consent"] == "yes"}))
    if filters.get("company") and subject.company_lookup:
        rows = rows.filter(**{f"{subject.company_lookup}__icontains": filters["company"]})
    if filters.get("q"):
        rows = search(rows, filters["q"])
    if filters.get("sort") == "recent":
        rows = rows.order_by(f"-{touched}", "-pk")
    elif filters.get("sort") == "name":
        rows = rows.order_by("last_name", "first_name", "pk")
    return rows
