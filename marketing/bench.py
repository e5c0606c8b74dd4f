"""The benchmark's marketing data (crm/management/commands/bench_seed.py): a plan per quarter,
200 campaigns over them, every lead attributed to a campaign (first touch, a third also
converting), every tenth deal attributed, scores for 50,000 people and 200,000 score events on
people and leads, and to-dos under the first campaign — bulk inserted, as the rest of the set."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from activities.models import Activity
from contacts.models import Person
from leads.models import Lead
from marketing.models import (
    Attribution,
    Campaign,
    CampaignTask,
    MarketingPlan,
    PersonScore,
    ScoreEvent,
    ScoreKind,
)
from marketing.scoring import regrade_all
from opportunities.models import Deal

BATCH = 5000


def bench_marketing_seed(*, admin, campaigns: int = 200, events: int = 200_000, people: int = 50_000) -> dict:
    """Seed the set (once: it stops when a plan exists); returns what it made."""
    if MarketingPlan.objects.exists():
        return {}
    numbers = random.Random(14)
    plans = MarketingPlan.objects.bulk_create(
        MarketingPlan(
            name=f"Bench plan 2026 Q{quarter}",
            starts_on=datetime.date(2026, 3 * quarter - 2, 1),
            ends_on=datetime.date(2026, 3 * quarter, 28),
            budget=Decimal(100_000),
            target_leads=2000,
            owner=admin,
        )
        for quarter in range(1, 5)
    )
    kinds = [choice for choice, _label in Campaign.Kind.choices]
    made = Campaign.objects.bulk_create(
        Campaign(
            name=f"Bench campaign {number:03d}",
            plan=plans[number % len(plans)],
            kind=kinds[number % len(kinds)],
            status=Campaign.Status.ACTIVE,
            starts_on=datetime.date(2026, 1 + number % 12, 1),
            budget=Decimal(5000),
            actual_cost=Decimal(numbers.randint(500, 5000)),
            target_leads=100,
            target_revenue=Decimal(50_000),
            owner=admin if number % 2 else None,
        )
        for number in range(campaigns)
    )
    lead_type = ContentType.objects.get_for_model(Lead)
    deal_type = ContentType.objects.get_for_model(Deal)
    now = timezone.now()
    lead_ids = list(Lead.objects.values_list("pk", flat=True))
    attributions = []
    for lead_id in lead_ids:
        campaign = made[numbers.randrange(len(made))]
        attributions.append(
            Attribution(
                campaign=campaign, content_type=lead_type, object_id=lead_id, touch="first", created_at=now
            )
        )
        if lead_id % 3 == 0:
            attributions.append(
                Attribution(
                    campaign=campaign,
                    content_type=lead_type,
                    object_id=lead_id,
                    touch="converting",
                    created_at=now,
                )
            )
    for deal_id in Deal.objects.values_list("pk", flat=True)[::10]:
        attributions.append(
            Attribution(
                campaign=made[deal_id % len(made)],
                content_type=deal_type,
                object_id=deal_id,
                touch="first",
                created_at=now,
            )
        )
    Attribution.objects.bulk_create(attributions, batch_size=BATCH, ignore_conflicts=True)
    person_ids = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:people])
    kinds_scored = [
        ScoreKind.EMAIL_OPENED,
        ScoreKind.LINK_CLICKED,
        ScoreKind.PAGE_VISITED,
        ScoreKind.FORM_SUBMITTED,
    ]
    points = {
        ScoreKind.EMAIL_OPENED: 0,
        ScoreKind.LINK_CLICKED: 5,
        ScoreKind.PAGE_VISITED: 1,
        ScoreKind.FORM_SUBMITTED: 10,
    }
    totals: dict[int, int] = {}
    rows = []
    for number in range(events):
        kind = kinds_scored[number % len(kinds_scored)]
        on_person = number % 2 == 0 and person_ids
        row = ScoreEvent(
            kind=kind,
            points=points[kind],
            campaign=made[number % len(made)],
            occurred_at=now - datetime.timedelta(minutes=number),
            person_id=numbers.choice(person_ids) if on_person else None,
            lead_id=None if on_person else numbers.choice(lead_ids),
        )
        if row.person_id:
            totals[row.person_id] = totals.get(row.person_id, 0) + row.points
        rows.append(row)
        if len(rows) >= BATCH:
            ScoreEvent.objects.bulk_create(rows)
            rows = []
    ScoreEvent.objects.bulk_create(rows)
    PersonScore.objects.bulk_create(
        (PersonScore(person_id=pk, score=score) for pk, score in totals.items()), batch_size=BATCH
    )
    Lead.objects.filter(pk__in=lead_ids[::4]).update(score=15)
    regrade_all()
    tasks = Activity.objects.bulk_create(
        Activity(subject=f"Bench campaign to-do {number}", owner=admin, due_at=now) for number in range(30)
    )
    CampaignTask.objects.bulk_create(CampaignTask(campaign=made[0], activity=task) for task in tasks)
    return {"campaigns": len(made), "attributions": len(attributions), "score_events": events}
