"""Demo marketing (issue 14): the 2026 plan, four campaigns with costs (a trade show, a magazine
advert, an e-mail campaign, the website), the demo leads attributed to them, some deals
attributed (a few won), and scores and grades spread across the leads through
scoring.record_event. Safe to run more than once."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction

from leads.models import Lead
from marketing import attribution, scoring, services
from marketing.models import Campaign, MarketingPlan, ScoreEvent, ScoreKind
from opportunities.models import Deal

PLAN_NAME = "Marketing plan 2026"
CAMPAIGNS = [
    # name, kind, budget, actual cost, target leads, target revenue, status
    ("Nordic Archive Summit 2026 booth", Campaign.Kind.TRADE_SHOW, 18000, 16500, 25, 120000, Campaign.Status.COMPLETED),
    ("Archives Today: spring advert", Campaign.Kind.MAGAZINE, 6000, 6000, 10, 40000, Campaign.Status.COMPLETED),
    ("Film preservation newsletter", Campaign.Kind.EMAIL, 1500, 900, 20, 60000, Campaign.Status.ACTIVE),
    ("Website: digitisation pages", Campaign.Kind.WEB, 4000, 2500, 30, 80000, Campaign.Status.ACTIVE),
]  # fmt: skip
# What the demo leads did, with how often (mail opens and clicks, page visits, forms).
EVENT_MIX = (
    [ScoreKind.EMAIL_OPENED] * 4
    + [ScoreKind.LINK_CLICKED] * 3
    + [ScoreKind.PAGE_VISITED] * 4
    + [
        ScoreKind.FORM_SUBMITTED,
        ScoreKind.UNSUBSCRIBED,
    ]
)


@transaction.atomic
def demo_marketing_ensure(*, users) -> int:
    """Create the plan and its campaigns once, then attribute and score the demo leads; returns
    the number of campaigns."""
    if MarketingPlan.objects.filter(name=PLAN_NAME).exists():
        return Campaign.objects.count()
    admin = users["admin"]
    owner = users.get("manager", admin)
    plan = services.plan_create(
        actor=admin,
        values={
            "name": PLAN_NAME,
            "starts_on": datetime.date(2026, 1, 1),
            "ends_on": datetime.date(2026, 12, 31),
            "budget": Decimal(32000),
            "target_leads": 85,
            "target_revenue": Decimal(300000),
            "description": "Trade shows, print, e-mail and the website: measured by the leads they bring.",
            "owner": owner,
        },
    )
    campaigns = []
    for index, (name, kind, budget, cost, leads, revenue, status) in enumerate(CAMPAIGNS):
        starts = datetime.date(2026, 2 + index * 2, 1)
        campaigns.append(
            services.campaign_create(
                actor=admin,
                values={
                    "plan": plan,
                    "name": name,
                    "kind": kind,
                    "status": status,
                    "starts_on": starts,
                    "ends_on": starts + datetime.timedelta(days=60),
                    "budget": Decimal(budget),
                    "actual_cost": Decimal(cost),
                    "target_leads": leads,
                    "target_revenue": Decimal(revenue),
                    "audience": "Archives and libraries, 50+ employees, Nordics and Hungary",
                    "owner": owner,
                },
            )
        )
    services.campaign_task_create(
        actor=admin,
        campaign=campaigns[0],
        subject="Book the booth and ship the demo kit",
        due_at=None,
        owner=owner,
    )
    services.campaign_task_create(
        actor=admin, campaign=campaigns[2], subject="Write the autumn newsletter", due_at=None, owner=owner
    )
    random_numbers = random.Random(14)
    if not ScoreEvent.objects.exists():
        for lead in Lead.objects.order_by("pk"):
            campaign = random_numbers.choice(campaigns)
            attribution.attribute(lead, campaign, converting=random_numbers.random() < 0.3)
            for _event in range(random_numbers.randint(0, 6)):
                scoring.record_event(kind=random_numbers.choice(EVENT_MIX), lead=lead, campaign=campaign)
        for deal in Deal.objects.order_by("pk")[:40]:
            attribution.attribute(deal, random_numbers.choice(campaigns))
    return len(campaigns)
