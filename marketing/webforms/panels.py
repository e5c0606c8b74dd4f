"""What web forms add to other apps without their knowing: the form submissions and recent
website visits on the lead and person cards (crm.cards), and where these hold personal data
(gdpr.registry)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketing.webforms.models import PageVisit, Submission

SUBMISSIONS_SHOWN = 10
VISITS_SHOWN = 10


def card_context(record, user, *, key: str) -> dict:
    """The newest submissions and visits of the card's lead or person (the card itself is the
    visibility check: it shows only a record the user may see). Two queries, capped."""
    submissions = (
        Submission.objects.filter(**{key: record}).select_related("form").order_by("-submitted_at", "-pk")
    )
    visits = PageVisit.objects.filter(**{key: record}).order_by("-visited_at", "-pk")
    return {
        "submissions": list(submissions[:SUBMISSIONS_SHOWN]),
        "visits": list(visits[:VISITS_SHOWN]),
        "can_open_forms": user.has_perm("marketing.manage_marketing"),
    }


def lead_panel_context(record, user) -> dict:
    return card_context(record, user, key="lead")


def person_panel_context(record, user) -> dict:
    return card_context(record, user, key="person")


def register() -> None:
    from contacts.models import Person
    from crm import cards
    from leads.models import Lead

    template = "webforms/partials/card_panel.html"
    cards.register_panel(Lead, cards.Panel(template, lead_panel_context, order=72))
    cards.register_panel(Person, cards.Panel(template, person_panel_context, order=72))


def register_personal_data() -> None:
    from gdpr import registry

    # A submission copies what its sender typed: anonymised with the lead or person it went to
    # (a converted lead's, with the person it became).
    copied = (
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("email", "email"),
        ("phone", "phone"),
        ("title", "title"),
        ("company_name", "last_name"),  # goes with the name, which is always anonymised
    )
    export = ("form", "first_name", "last_name", "email", "phone", "company_name", "title", "message",
              "consent", "submitted_at")  # fmt: skip
    for subject, lookup in (("lead", "lead"), ("person", "person"), ("person", "lead__converted_person")):
        registry.register_linked(
            registry.Linked(
                subject=subject,
                model=Submission,
                lookup=lookup,
                label=_("Web form submissions"),
                fields=tuple(registry.LinkedField(name, covers) for name, covers in copied),
                text_fields=("message",),
                export_fields=export,
            )
        )
    for subject, lookup in (("lead", "lead"), ("person", "person"), ("person", "lead__converted_person")):
        registry.register_linked(
            registry.Linked(
                subject=subject,
                model=PageVisit,
                lookup=lookup,
                label=_("Website visits"),
                export_fields=("url", "points", "visited_at"),
            )
        )
