"""The benchmark's customer service (crm/management/commands/bench_seed.py, under its heading;
and support/management/commands/bench_sla_scan.py on a data dir of its own): at the issue's
volumes, loaded with COPY (crm.bench_load).

- two SLA policies ("Bench standard", round the clock, and "Bench gold" for contracts) with
  targets for every priority, and a queue per team (least-loaded);
- 500,000 tickets over the companies and the reps of their teams, from a year back to now: 70 %
  resolved or closed, 30 % open (new, open, waiting on the customer). Due times follow the
  policies' targets; breaches older than six hours are escalated already (as the minutely scan
  would have done), the rest are left for the scan to find;
- a customer message and a reply on each of 50,000 tickets;
- a contract of "Bench gold" for each of 5,000 companies, ending over the next two years.
"""

from __future__ import annotations

import datetime
import random
import secrets

from django.db import transaction
from django.utils import timezone

from contacts.models import Company, Person
from crm.bench_load import LoadReport, assign_ids
from crm.models import Team
from support.models import Contract, Queue, SlaPolicy, SlaTarget, Ticket, TicketMessage

TICKETS = 500_000
MESSAGED_TICKETS = 50_000
CONTRACTS = 5_000
POLICY = "Bench standard"
GOLD = "Bench gold"
# Minutes: first response, resolution (round the clock).
TARGETS = {"urgent": (60, 480), "high": (240, 1440), "normal": (480, 2880), "low": (1440, 7200)}
GOLD_TARGETS = {"urgent": (30, 240), "high": (120, 720), "normal": (240, 1440), "low": (720, 4320)}
# Breaches of the last hours are left for the scan (bench_sla_scan times it); older ones are
# seeded as escalated.
UNESCALATED_HOURS = 6
SUBJECTS = [
    "Scanner does not start", "Invoice question", "Cannot sign in to the archive", "Film reader jams",
    "Export to PDF fails", "Slow search in the archive", "Request for a quote", "Password reset",
    "Wrong colours in scans", "Delivery is late", "How do I add a user?", "Error 500 on upload",
]  # fmt: skip
PRIORITIES = ["low", "normal", "normal", "normal", "high", "high", "urgent"]


def _policy(name: str, targets: dict) -> SlaPolicy:
    policy, _created = SlaPolicy.objects.get_or_create(name=name)
    for priority, (first, resolution) in targets.items():
        SlaTarget.objects.update_or_create(
            policy=policy,
            priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )
    return policy


def _agents_by_team() -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for team_id, user_id in Team.members.through.objects.order_by("team_id", "user_id").values_list(
        "team_id", "user_id"
    ):
        members.setdefault(team_id, []).append(user_id)
    return members


def ticket_rows(
    *,
    rng: random.Random,
    count: int,
    now: datetime.datetime,
    people: list[tuple[int, int | None]],
    queues: list[tuple[int, int | None, list[int]]],
    policies: dict[int, tuple[int, dict]],
    gold_companies: set[int],
):
    """The tickets' rows (dicts by attname, ids taken from the sequence in batches)."""
    standard_id, standard_targets = policies[0]
    gold_id, gold_targets = policies[1]
    window = datetime.timedelta(hours=UNESCALATED_HOURS)
    for number in range(count):
        contact_id, company_id = people[rng.randrange(len(people))]
        queue_id, team_id, agents = queues[number % len(queues)]
        kind = number % 20
        if kind < 6:  # open: created in the last three weeks
            created = now - datetime.timedelta(minutes=rng.randrange(1, 21 * 24 * 60))
            status = "new" if kind < 2 else ("waiting" if kind == 5 else "open")
        else:
            created = now - datetime.timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
            status = "closed" if kind < 15 else "resolved"
        priority = PRIORITIES[number % len(PRIORITIES)]
        gold = company_id in gold_companies
        policy_id, targets = (gold_id, gold_targets) if gold else (standard_id, standard_targets)
        first, resolution = targets[priority]
        first_due = created + datetime.timedelta(minutes=first)
        resolution_due = created + datetime.timedelta(minutes=resolution)
        owner_id = agents[number % len(agents)] if agents and status != "new" else None
        row = {
            "owner_id": owner_id,
            "team_id": team_id,
            "created_at": created,
            "updated_at": created,
            "subject": f"Bench {SUBJECTS[number % len(SUBJECTS)]}",
            "description": "Bench ticket.",
            "company_id": company_id,
            "contact_id": contact_id,
            "priority": priority,
            "status": status,
            "channel": ("email", "phone", "portal", "web_form")[number % 4],
            "queue_id": queue_id,
            "reply_key": secrets.token_urlsafe(9),
            "sla_policy_id": policy_id,
            "first_response_due_at": first_due,
            "resolution_due_at": resolution_due,
            "paused_minutes": 0,
        }
        if status != "new":
            # Answered within its time four times out of five.
            late = number % 5 == 0
            row["first_responded_at"] = min(
                now, created + datetime.timedelta(minutes=first * (1.5 if late else rng.random()))
            )
        if status in ("resolved", "closed"):
            done = min(
                now, created + datetime.timedelta(minutes=resolution * (1.3 if number % 7 == 0 else 0.6))
            )
            row["resolved_at"] = done
            if status == "closed":
                row["closed_at"] = done
        if status == "waiting":
            row["paused_at"] = now - datetime.timedelta(minutes=rng.randrange(1, 600))
        # Breaches before the window were escalated (as the minutely scan would have done).
        if status in ("new", "open"):
            if not row.get("first_responded_at") and first_due < now - window:
                row["first_response_breached_at"] = first_due
            if resolution_due < now - window:
                row["resolution_breached_at"] = resolution_due
        row["search_text"] = row["subject"].lower()
        yield row


def bench_support_seed(*, admin, report: LoadReport, seed: int = 15, tickets: int = TICKETS) -> dict | None:
    """Seed customer service at the issue's volumes; None when it is there already."""
    if Ticket.objects.filter(subject__startswith="Bench ").exists():
        return None
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        standard = _policy(POLICY, TARGETS)
        gold = _policy(GOLD, GOLD_TARGETS)
        agents = _agents_by_team()
        queues = []
        for team in Team.objects.order_by("pk"):
            queue, _created = Queue.objects.get_or_create(
                name=f"Bench {team.name}"[:100],
                defaults={"team": team, "assignment": Queue.Assignment.LEAST_LOADED},
            )
            queues.append((queue.pk, team.pk, agents.get(team.pk, [])))
        if not queues:
            queue, _created = Queue.objects.get_or_create(name="Bench support")
            queues.append((queue.pk, None, [admin.pk]))
    companies = list(Company.objects.order_by("pk").values_list("pk", "owner_id")[: CONTRACTS * 4])
    gold_companies = {pk for pk, _owner in companies[::4]}
    today = timezone.localdate()
    contracts = report.copy(
        "support contracts",
        Contract,
        (
            {
                "company_id": pk,
                "owner_id": owner_id,
                "created_at": now,
                "updated_at": now,
                "kind": "contract" if index % 3 else "warranty",
                "name": f"Bench support plan {index}",
                "starts_on": today - datetime.timedelta(days=365),
                "ends_on": today + datetime.timedelta(days=index % 730),
                "sla_policy_id": gold.pk,
                "remind_days": 30,
            }
            for index, (pk, owner_id) in enumerate(companies[::4])
        ),
    )
    people = list(Person.objects.filter(company__isnull=False).values_list("pk", "company_id"))
    if not people:
        people = [(None, pk) for pk, _owner in companies] or [(None, None)]
    policies = {0: (standard.pk, TARGETS), 1: (gold.pk, GOLD_TARGETS)}
    rows = ticket_rows(
        rng=rng,
        count=tickets,
        now=now,
        people=people,
        queues=queues,
        policies=policies,
        gold_companies=gold_companies,
    )
    loaded, messaged = 0, []
    batch: list[dict] = []

    def flush() -> int:
        assign_ids(Ticket, batch)
        for row in batch:
            row["search_text"] = f"{row['id']} {row['search_text']}"
        messaged.extend(
            (row["id"], row["contact_id"], row["owner_id"], row["created_at"])
            for row in batch[:: max(1, tickets // MESSAGED_TICKETS)]
        )
        return report.copy("support tickets", Ticket, batch, with_pk=True)

    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            loaded += flush()
            batch = []
    if batch:
        loaded += flush()
    messages = report.copy(
        "support ticket messages",
        TicketMessage,
        (
            message
            for ticket_id, contact_id, owner_id, created in messaged[:MESSAGED_TICKETS]
            for message in (
                {
                    "ticket_id": ticket_id,
                    "kind": "customer",
                    "author_person_id": contact_id,
                    "body": "It does not work since this morning.",
                    "channel": "email",
                    "created_at": created,
                },
                {
                    "ticket_id": ticket_id,
                    "kind": "reply",
                    "author_id": owner_id,
                    "body": "Thank you, we are looking into it.",
                    "channel": "email",
                    "created_at": created + datetime.timedelta(minutes=30),
                },
            )
        ),
    )
    return {"tickets": loaded, "messages": messages, "contracts": contracts, "queues": len(queues)}
