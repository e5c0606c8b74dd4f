"""Marketing plans and campaigns for the access matrix and the growth test
(tests/test_access_matrix.py's `records` and tests/test_page_growth.py's world take them from
here, as "plan" and "campaign"): one per kind of owner, like the other records."""

from __future__ import annotations

import datetime
from decimal import Decimal

from marketing.models import Campaign, MarketingPlan

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]
START = datetime.date(2026, 1, 1)


def _owners(personas) -> dict:
    owners = {key: {"owner": getattr(personas, key)} for key in OWNER_KEYS}
    owners["unassigned"] = {"owner": None}
    owners["south_team"] = {"owner": personas.admin, "team": personas.south}
    return owners


def plans_by_owner(personas) -> dict[str, MarketingPlan]:
    return {
        key: MarketingPlan.objects.create(
            name=f"Plan of {key}", starts_on=START, ends_on=START + datetime.timedelta(days=364), **owner
        )
        for key, owner in _owners(personas).items()
    }


def campaigns_by_owner(personas, plans: dict[str, MarketingPlan] | None = None) -> dict[str, Campaign]:
    return {
        key: Campaign.objects.create(
            name=f"Campaign of {key}",
            plan=(plans or {}).get(key),
            kind=Campaign.Kind.TRADE_SHOW,
            starts_on=START,
            budget=Decimal(1000),
            actual_cost=Decimal(500),
            target_leads=10,
            **owner,
        )
        for key, owner in _owners(personas).items()
    }


def content_campaigns(personas, people: dict) -> dict[str, Campaign]:
    """Campaigns for the content check: each attributed to every owner's person (its page counts
    them and names none)."""
    from marketing import attribution

    campaigns = campaigns_by_owner(personas)
    for campaign in campaigns.values():
        for person in people.values():
            attribution.attribute(person, campaign)
    return campaigns


def grow_marketing(hub: dict, count: int, start: int = 0) -> None:
    """For the growth test: `count` more score events on the hub person and lead (their cards'
    panels cap them), leads attributed to the hub campaign and to-dos under it (its page counts
    the one and caps the other)."""
    from activities.models import Activity
    from leads.models import Lead
    from marketing import attribution, scoring
    from marketing.models import CampaignTask, ScoreKind

    campaign = hub["campaign"]
    for number in range(start, start + count):
        scoring.record_event(
            kind=ScoreKind.LINK_CLICKED, person=hub["person"], lead=hub["lead"], campaign=campaign
        )
        lead = Lead.objects.create(last_name=f"Grower {number}", company_name="Growth")
        attribution.attribute(lead, campaign)
        attribution.attribute(hub["person"], campaign)
        activity = Activity.objects.create(subject=f"Grow campaign task {number}", owner=campaign.owner)
        CampaignTask.objects.create(campaign=campaign, activity=activity)
