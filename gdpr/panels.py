"""The GDPR panel gdpr adds to the card of every registered subject (crm.cards): anonymise,
touch and export, for the users allowed to. Contacts renders it without knowing gdpr."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from crm import access, cards
from gdpr import registry, services


def _url(subject: registry.Subject, action: str, record) -> str | None:
    try:
        return reverse(f"gdpr:{subject.key}_{action}", args=[record.pk])
    except NoReverseMatch:  # a subject kind without that page
        return None


def panel_context(record, user) -> dict:
    """What the GDPR panel of `record`'s card offers `user` (the card already checked visibility)."""
    subject = registry.subject_for_model(type(record))
    may_manage = user.has_perm(services.MANAGE_PERMISSION) and access.can_edit(user, record)
    may_export = user.has_perm(services.EXPORT_PERMISSION)
    return {
        "anonymised": services.is_anonymised(record),
        "anonymise_url": _url(subject, "anonymise", record) if may_manage else None,
        "touch_url": _url(subject, "touch", record) if may_manage else None,
        "erasure_url": _url(subject, "erasure_requests", record) if may_manage else None,
        "export_url": _url(subject, "subject_access_exports", record) if may_export else None,
        "touched_at": getattr(record, subject.touched_field),
    }


def _may_use(user) -> bool:
    return user.has_perm(services.MANAGE_PERMISSION) or user.has_perm(services.EXPORT_PERMISSION)


PANEL = cards.Panel("gdpr/partials/card_panel.html", panel_context, order=90, visible=_may_use)


def register() -> None:
    """Put the panel on the card of each registered subject (from GdprConfig.ready())."""
    for subject in registry.subjects():
        cards.register_panel(subject.model, PANEL)
