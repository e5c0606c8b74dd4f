"""The benchmark's activities: 200,000 to-dos and meetings over the 50 bench reps by default
(issue 11, "Speed"), as rows for COPY (crm.bench_load), from a fixed random seed.

Each rep's activities are about their own companies and deals: history (done) over the past year,
a few overdue to-dos, and open to-dos and meetings over the next months, so that a rep's my-work
page, calendar and feed hold about 4,000 activities, some 2,000 of them with a date to come.
"""

from __future__ import annotations

import datetime
import random
import uuid

from django.utils import timezone

from activities.models import Activity, ActivityType, MeetingCategory

SEED = 11
SUBJECTS = (
    "Follow up the offer",
    "Call about the pilot",
    "Send the references",
    "Check the budget",
    "Book a demo",
)
MEETING_SHARE = 0.2
PAST_SHARE = 0.5
OVERDUE_SHARE = 0.04  # of the past ones, still open


def activity_rows(*, count: int, reps: list, companies: list[dict], deals: list[dict]) -> list[dict]:
    """`count` activity rows spread evenly over `reps`, each linked to a deal or a company of its
    rep where the rep has one."""
    pick = random.Random(SEED)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    types = list(ActivityType.objects.values_list("pk", flat=True))
    categories = list(MeetingCategory.objects.values_list("pk", flat=True))
    companies_of: dict[int, list[dict]] = {}
    for row in companies:
        companies_of.setdefault(row["owner_id"], []).append(row)
    deals_of: dict[int, list[dict]] = {}
    for row in deals:
        deals_of.setdefault(row["owner_id"], []).append(row)
    rows = []
    for number in range(count):
        rep = reps[number % len(reps)]
        past = pick.random() < PAST_SHARE
        due = now + datetime.timedelta(hours=pick.randrange(1, 24 * 365) * (-1 if past else 1) // 2)
        meeting = bool(categories) and pick.random() < MEETING_SHARE
        status = Activity.Status.DONE if past and pick.random() > OVERDUE_SHARE else Activity.Status.OPEN
        row = {
            "kind": Activity.Kind.MEETING if meeting else Activity.Kind.TODO,
            "activity_type_id": None if meeting else pick.choice(types),
            "meeting_category_id": pick.choice(categories) if meeting else None,
            "subject": f"{pick.choice(SUBJECTS)} {number}",
            "status": status,
            "due_at": due,
            "duration_minutes": 60 if meeting else 30,
            "done_at": due if status == Activity.Status.DONE else None,
            "outcome": "Talked it through." if status == Activity.Status.DONE else "",
            "owner_id": rep.pk,
            "created_at": due - datetime.timedelta(days=7),
            "updated_at": due,
            "uid": uuid.UUID(int=pick.getrandbits(128), version=4),
        }
        rep_deals, rep_companies = deals_of.get(rep.pk), companies_of.get(rep.pk)
        if rep_deals and pick.random() < 0.3:
            deal = pick.choice(rep_deals)
            row["deal_id"], row["company_id"] = deal["id"], deal.get("company_id")
        elif rep_companies:
            row["company_id"] = pick.choice(rep_companies)["id"]
        rows.append(row)
    return rows
