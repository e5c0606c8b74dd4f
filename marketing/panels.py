"""Marketing on the cards (crm.cards): a person's and a lead's score, grade, latest score events
and campaigns (first touch, converting); a deal's campaigns. Holders of
marketing.manage_marketing who may change the record set its campaign from the panel."""

from __future__ import annotations

from django.db import models

from crm import access, cards
from marketing import scoring, selectors

MANAGE = "marketing.manage_marketing"


def _campaign_form(record: models.Model, user) -> dict:
    if not user.has_perm(MANAGE) or not access.can_edit(user, record):
        return {"campaign_choices": None}
    return {"campaign_choices": selectors.campaign_choices(user=user), "model_name": record._meta.model_name}


def person_panel(person, user) -> dict:
    score = scoring.person_score(person)
    return {
        "score": score.score,
        "grade": score.grade,
        "events": selectors.score_events(user=user, person=person),
        "attributions": selectors.campaign_history(person, user=user),
        **_campaign_form(person, user),
    }


def lead_panel(lead, user) -> dict:
    return {
        "score": lead.score,
        "grade": lead.grade,
        "events": selectors.score_events(user=user, lead=lead),
        "attributions": selectors.campaign_history(lead, user=user),
        **_campaign_form(lead, user),
    }


def deal_panel(deal, user) -> dict:
    return {
        "attributions": selectors.campaign_history(deal, user=user),
        "no_score": True,
        **_campaign_form(deal, user),
    }


def register() -> None:
    from contacts.models import Person
    from leads.models import Lead
    from opportunities.models import Deal

    cards.register_panel(
        Person, cards.Panel("marketing/partials/marketing_panel.html", person_panel, order=60)
    )
    cards.register_panel(Lead, cards.Panel("marketing/partials/marketing_panel.html", lead_panel, order=60))
    cards.register_panel(Deal, cards.Panel("marketing/partials/marketing_panel.html", deal_panel, order=60))
