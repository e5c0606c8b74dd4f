"""Reads of the GDPR pages, always starting from what the user may see."""

from __future__ import annotations

from django.db import models

from gdpr import registry, services


def people_by_age(*, user, subject: registry.Subject) -> models.QuerySet:
    """The subject's records `user` may see and that are not anonymised yet, longest untouched first."""
    model = subject.model
    return (
        model.objects.visible_to(user)
        .exclude(services.anonymised(model))
        .select_related("owner")
        .order_by(subject.touched_field, "pk")
    )
