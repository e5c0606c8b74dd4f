"""The benchmark's web forms (crm/management/commands/bench_seed.py, under its heading): a form
per kind per team of reps, and at the issue's volumes a submission for every fifth lead and
website visits of consenting people, loaded with COPY, so that the walk opens the form pages
and the lead and person cards with realistic numbers behind them."""

from __future__ import annotations

import random

from django.utils import timezone

from contacts.models import Person
from crm.bench_load import LoadReport
from crm.models import Team
from leads.models import Lead
from marketing.webforms import services
from marketing.webforms.models import PageVisit, Submission, WebForm

FIELDS = [
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "email", "required": True},
    {"name": "company_name", "required": False},
    {"name": "message", "required": False},
    {"name": "consent", "required": False},
]
VISITS = 100_000
PAGES = ["/", "/pricing", "/products/scanning", "/blog/film-care", "/contact/thank-you", "/docs/api"]


def bench_webforms_seed(*, admin, report: LoadReport, seed: int = 14, visits: int = VISITS) -> dict[str, int]:
    """Seed the forms, submissions and visits; returns what it made."""
    rng = random.Random(seed)
    forms = []
    for team in Team.objects.order_by("pk"):
        for kind in WebForm.Kind:
            forms.append(
                services.form_create(
                    actor=admin,
                    values={
                        "name": f"{kind.label} ({team.name})",
                        "kind": kind,
                        "fields": FIELDS,
                        "assignment": WebForm.Assignment.ROUND_ROBIN,
                        "assign_team": team,
                        "owner": team.members.order_by("pk").first() or admin,
                        "team": team,
                    },
                )
            )
    if not forms:
        return {"forms": 0, "submissions": 0, "visits": 0}
    now = timezone.now()
    leads = Lead.objects.order_by("pk").values_list("pk", "first_name", "last_name", "email", "company_name")[
        ::5
    ]
    submissions = report.copy(
        "web form submissions",
        Submission,
        (
            {
                "form_id": forms[index % len(forms)].pk,
                "lead_id": pk,
                "first_name": first,
                "last_name": last,
                "email": email,
                "company_name": company,
                "consent": index % 2 == 0,
                "created_lead": True,
                "actions": ["lead_created", "assigned"],
                "submitted_at": now - timezone.timedelta(minutes=index * 7),
            }
            for index, (pk, first, last, email, company) in enumerate(leads)
        ),
    )
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True)[: max(1, visits // 10)])
    visits_loaded = report.copy(
        "website visits",
        PageVisit,
        (
            {
                "person_id": people[index % len(people)],
                "url": "https://www.example.com" + rng.choice(PAGES),
                "points": 1,
                "visited_at": now - timezone.timedelta(seconds=index * 37),
            }
            for index in range(visits if people else 0)
        ),
    )
    return {"forms": len(forms), "submissions": submissions, "visits": visits_loaded}
