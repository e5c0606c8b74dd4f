"""Demo data of support's set-up (issue 15 item 10): a second SLA policy ("Premium", round the
clock, beside the migration's "Standard" office-hours one), a queue per team with its
assignment rule, and contracts and warranties for a dozen companies — one ending within its
reminder window — through the services, like records made on the pages. Safe to run again."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Company
from crm.models import Team
from support import contracts, setup
from support.models import Contract, Queue, SlaPolicy

PREMIUM = {"urgent": (30, 240), "high": (60, 480), "normal": (240, 1440), "low": (480, 2880)}


@transaction.atomic
def demo_sla_ensure(*, users: dict) -> None:
    admin = users["admin"]
    premium = SlaPolicy.objects.filter(name="Premium").first() or setup.policy_save(
        actor=admin,
        policy=None,
        values={"name": "Premium", "uses_business_hours": False, "time_zone": "Europe/Stockholm"},
        targets=PREMIUM,
        holidays=[],
    )
    rules = [Queue.Assignment.ROUND_ROBIN, Queue.Assignment.LEAST_LOADED]
    for index, team in enumerate(Team.objects.order_by("pk")):
        if not Queue.objects.filter(team=team).exists():
            setup.queue_save(
                actor=admin,
                queue=None,
                values={"name": f"{team.name} support"[:100], "team": team, "assignment": rules[index % 2]},
            )
    if Contract.objects.exists():
        return
    today = timezone.localdate()
    standard = SlaPolicy.objects.filter(is_default=True).first() or premium
    for index, company in enumerate(Company.objects.order_by("pk")[:12]):
        kind = Contract.Kind.WARRANTY if index % 3 == 2 else Contract.Kind.CONTRACT
        label = _("warranty") if kind == Contract.Kind.WARRANTY else _("support plan")
        contracts.contract_create(
            actor=admin,
            values={
                "company": company,
                "kind": kind,
                "name": f"{company.name} – {label}"[:200],
                "starts_on": today - datetime.timedelta(days=200 + index * 10),
                # The first ends within its 30 days' reminder; one has ended.
                "ends_on": today
                + datetime.timedelta(days=20 if index == 0 else (-15 if index == 5 else 90 * index)),
                "sla_policy": premium if index % 2 == 0 else standard,
                "owner": company.owner or admin,
            },
        )
