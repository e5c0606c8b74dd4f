"""A few hundred demo activities on the demo companies, people and deals: history in the past
(done, with outcomes), open to-dos ahead (the next step of most open deals; a few left without
one so the board flags them), some overdue, and open first meetings for the board's lane."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from activities import services
from activities.models import Activity, ActivityType, MeetingCategory
from contacts.models import Company
from opportunities.models import Deal, Stage

CALLS = ["Call to qualify", "Follow up the offer", "Ask about the budget", "Check the archive inventory",
         "Send the reference list", "Confirm the decision date", "Introduce the preservation team"]  # fmt: skip
OUTCOMES = ["Interested; wants a quote for the first 200 TB.", "Budget approved for next quarter.",
            "Not reachable; left a message.", "Asked for a reference customer in the public sector.",
            "Decision postponed until after the board meeting.", "Agreed on a pilot with one collection."]  # fmt: skip


def demo_activities_ensure(*, users) -> int:
    """Create the demo activities unless there are activities already; safe to run again."""
    if Activity.objects.exists():
        return Activity.objects.count()
    rng = random.Random(11)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    types = list(ActivityType.objects.filter(is_active=True))
    first_meeting = MeetingCategory.objects.filter(is_first_meeting=True).first()
    meeting = MeetingCategory.objects.filter(is_first_meeting=False).first()
    admin = users["admin"]
    deals = list(Deal.objects.select_related("stage", "owner").order_by("pk"))
    companies = list(Company.objects.select_related("owner").order_by("pk"))

    def add(values: dict) -> None:
        services.activity_create(actor=admin, values=values, audit=False)

    for index, deal in enumerate(deals):
        owner = deal.owner or admin
        for _back in range(rng.randint(1, 3)):
            due = now - datetime.timedelta(days=rng.randint(3, 200), hours=rng.randint(0, 6))
            add({"deal": deal, "owner": owner, "activity_type": rng.choice(types), "subject": rng.choice(CALLS),
                 "due_at": due, "status": Activity.Status.DONE, "done_at": due, "outcome": rng.choice(OUTCOMES)})  # fmt: skip
        # Seed 003: every open deal has its next step, bar a few the board flags.
        if deal.stage.kind == Stage.Kind.OPEN and index % 7 != 3:
            ahead = rng.randint(-5, 30)  # a few overdue
            add({"deal": deal, "owner": owner, "activity_type": rng.choice(types), "subject": rng.choice(CALLS),
                 "due_at": now + datetime.timedelta(days=ahead, hours=rng.randint(1, 8))})  # fmt: skip
    for index, company in enumerate(companies):
        owner = company.owner or admin
        due = now - datetime.timedelta(days=rng.randint(1, 365))
        add({"company": company, "owner": owner, "activity_type": rng.choice(types), "subject": rng.choice(CALLS),
             "due_at": due, "status": Activity.Status.DONE, "done_at": due, "outcome": rng.choice(OUTCOMES)})  # fmt: skip
        if index % 3 == 0:
            category = first_meeting if index % 2 == 0 else meeting
            add({"company": company, "owner": owner, "kind": Activity.Kind.MEETING, "meeting_category": category,
                 "subject": f"{category} at {company.name}", "duration_minutes": 60,
                 "due_at": now + datetime.timedelta(days=rng.randint(1, 21), hours=rng.randint(1, 6)),
                 "location": company.name})  # fmt: skip
        elif index % 3 == 1:
            add({"company": company, "owner": owner, "activity_type": rng.choice(types), "subject": rng.choice(CALLS),
                 "due_at": now + datetime.timedelta(days=rng.randint(-3, 45))})  # fmt: skip
    return Activity.objects.count()
