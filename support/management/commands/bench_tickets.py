"""Benchmark: the agents' queue view over 500,000 tickets (issue 15: median < 200 ms for an agent).

    CRM_STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage \\
    .venv/bin/python -m crm.embedded --data-dir var/bench-tickets -- bash -c \\
        '.venv/bin/python manage.py migrate -v0 &&
         .venv/bin/python manage.py bench_tickets [--repeat 20] [--plans]'

On a data dir of its own (never var/bench): the first run seeds the bench users, 20,000
companies with 40,000 people and support's bench data (support.bench: 500,000 tickets over a
year, 30 % open, queues per team), as bench_sla_scan does; later runs reuse them. Then, for an
agent (a rep who works a queue), their manager and the administrator, it GETs every saved view
of the queue view (support.selectors.VIEWS), the default page, a closed-status filter, a search
and a deep page, through the whole Django stack (crm.bench.measure), and prints per page the
median and p95 in ms, the queries, and the indexes its queries of the tickets table used
(EXPLAIN ANALYZE of each) — a sequential scan of the tickets table is flagged.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.urls import reverse

from crm.bench import explain, logged_in_client, measure, plan_summary, print_table
from crm.bench_load import LoadReport, vacuum_analyse
from support import bench, selectors
from support.models import Ticket

TICKETS_TABLE = Ticket._meta.db_table


def pages() -> list[tuple[str, str]]:
    """(label, URL) of every saved view and a few filters of the queue view."""
    url = reverse("support:ticket_list")
    listed = [("default", url)]
    listed += [(f"view={key}", f"{url}?view={key}") for key in selectors.VIEWS]
    listed += [
        ("status=closed", f"{url}?view=open&status=closed"),
        ("priority=urgent", f"{url}?view=open&priority=urgent"),
        ("q=invoice", f"{url}?view=all&q=invoice"),
        ("view=all page 50", f"{url}?view=all&page=50"),
    ]
    return listed


class Command(BaseCommand):
    help = "Seed (or reuse) 500,000 tickets and time every saved view of the queue view."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=bench.TICKETS)
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (20)")
        parser.add_argument("--plans", action="store_true", help="print the list query's whole plan")

    def handle(self, *args, tickets: int, repeat: int, plans: bool, **options):
        if settings.DATA_DIR.name == "bench":
            raise CommandError("Run it on a data dir of its own (var/bench-tickets), not on var/bench.")
        users = self._seed(tickets)
        self.stdout.write(
            f"{Ticket.objects.count():,} tickets, "
            f"{Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count():,} open."
        )
        rows = [["persona", "page", "median ms", "p95 ms", "queries", "sql ms", "indexes", "seq scan"]]
        explained = []
        for persona, user in users.items():
            client = logged_in_client(user)
            for label, url in pages():
                result = measure(client, url, repeat=repeat)
                indexes, seq = set(), False
                for sql in result["sql"]:
                    if f'FROM "{TICKETS_TABLE}"' not in sql or not sql.lstrip().startswith("SELECT"):
                        continue
                    plan = explain(sql)
                    summary = plan_summary(plan)
                    indexes.update(summary["indexes"])
                    seq = seq or TICKETS_TABLE in summary["seq_scans"]
                    explained.append((persona, label, sql, plan))
                rows.append(
                    [
                        persona,
                        label,
                        round(result["median_ms"], 1),
                        round(result["p95_ms"], 1),
                        result["queries"],
                        round(result["sql_ms"], 1),
                        ", ".join(sorted(indexes)) or "-",
                        "SEQ SCAN" if seq else "",
                    ]
                )
        print_table(rows, file=self.stdout)
        if plans:
            for persona, label, sql, plan in explained:
                self.stdout.write(f"\n== {persona} {label}\n{sql}\n" + "\n".join(plan))

    def _seed(self, tickets: int) -> dict:
        from contacts.management.bench_data import (
            Generator,
            company_rows,
            person_rows,
            seed_users,
            team_of_reps,
        )
        from contacts.models import Company, Person

        users = seed_users()
        if not Ticket.objects.filter(subject__startswith="Bench ").exists():
            report = LoadReport()
            started = time.perf_counter()
            if not Company.objects.exists():
                generator = Generator(reps=users["reps"], team_of=team_of_reps())
                companies = company_rows(generator, 20_000)
                report.copy("companies", Company, companies, with_pk=True)
                report.copy("people", Person, person_rows(generator, companies, 40_000), with_pk=True)
            made = bench.bench_support_seed(admin=users["admin"], report=report, tickets=tickets)
            vacuum_analyse()
            self.stdout.write(f"Seeded {made} in {time.perf_counter() - started:.0f} s.")
        # The agent: the rep with the most open tickets assigned (the heaviest "My open").
        agent_id = (
            Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, owner__isnull=False)
            .values("owner")
            .order_by()
            .annotate(count=Count("id"))
            .order_by("-count")
            .values_list("owner", flat=True)
            .first()
        )
        agent = next((rep for rep in users["reps"] if rep.pk == agent_id), users["rep"])
        return {"agent": agent, "manager": users["manager"], "admin": users["admin"]}
