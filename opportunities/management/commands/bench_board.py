"""Seed deals at sales-board scale, then time the board and a stage move.

Run it on a throwaway database (``scripts/bench_board.sh``): it adds the bench users
(``contacts.management.bench_data.seed_users``: 50 sales reps in five teams, a manager of the
first, an administrator), companies with a contact each, and in the "Classic" pipeline 10,000
open deals over its four open stages plus 20,000 closed ones (won and lost), and leaves them
there.

Rows come from the shared generators (``opportunities.management.bench_deals``: open deals
close between two months ago and nine months ahead, closed ones were closed over the last
three years) and are loaded with PostgreSQL COPY (``crm.bench_load``).

Measured in-process with crm.bench (the whole middleware stack, no HTTP server): the board
"all reps, this quarter" for an Administrator and a Manager, the htmx refresh of its columns,
and a stage move round-trip (POST to deal_move_stage between Negotiation and Quotation, which
need nothing the deals lack).
"""

from __future__ import annotations

import os
import statistics
import time
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.management.bench_data import Generator, company_rows, seed_users, team_of_reps
from contacts.models import Company, Person
from crm import bench
from crm.bench_load import LoadReport, assign_ids, vacuum_analyse
from opportunities.board.selectors import PERIOD_QUARTER, period_range
from opportunities.management.bench_deals import DealGenerator, pipeline_plans
from opportunities.models import Deal, Pipeline, Stage

REFUSE_FROM_DEALS = 1_000
BOARD_TARGET_MS = 300
MOVE_TARGET_MS = 100
PIPELINE = "Classic"
OPEN_SHARES = {"Prospecting": 0.35, "Qualification": 0.25, "Quotation": 0.25, "Negotiation": 0.15}


class Command(BaseCommand):
    help = (
        "Seed 10,000 open and 20,000 closed deals and time the sales board and a stage move. "
        "Adds rows it never removes: run it on a throwaway database (scripts/bench_board.sh)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--open", type=int, default=10_000, help="open deals to add (10,000)")
        parser.add_argument("--closed", type=int, default=20_000, help="won and lost deals to add (20,000)")
        parser.add_argument("--companies", type=int, default=5_000, help="companies to add (5,000)")
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per measurement (20)")
        parser.add_argument(
            "--force",
            action="store_true",
            help=f"run even though the database already holds {REFUSE_FROM_DEALS:,} deals or more",
        )

    def handle(self, *args, open: int, closed: int, companies: int, repeat: int, force: bool, **options):
        existing = Deal.objects.count()
        if existing >= REFUSE_FROM_DEALS and not force:
            raise CommandError(
                f"This database already holds {existing:,} deals, and the benchmark adds "
                f"{open + closed:,} that it never removes. Run it on a throwaway database "
                "(scripts/bench_board.sh), or pass --force."
            )
        self.verbosity = options["verbosity"]
        users = seed_users()
        self.stdout.write("Users: 50 sales reps in 5 teams, a manager, an administrator.")
        self.seed(users=users, open_count=open, closed_count=closed, company_count=companies)
        self.stdout.write("")
        results = self.measure(users=users, repeat=repeat)
        self.print_results(results, repeat=repeat)
        self.explain(results)

    # Seeding -------------------------------------------------------------------------------------

    def seed(self, *, users: dict, open_count: int, closed_count: int, company_count: int) -> None:
        reps = users["reps"]
        team_of = team_of_reps()
        generator = Generator(reps=reps, team_of=team_of)
        today = timezone.localdate()

        started = time.perf_counter()
        report = LoadReport()
        with transaction.atomic():
            companies = company_rows(generator, company_count)
            people = assign_ids(Person, [generator.person(company) for company in companies])
            deals = DealGenerator(
                reps=reps,
                team_of=team_of,
                plans=pipeline_plans([PIPELINE], OPEN_SHARES),
                companies=companies,
                people_by_company={row["company_id"]: [row["id"]] for row in people},
            ).deals(open_count=open_count, closed_count=closed_count)
            generated = time.perf_counter() - started
            report.copy("companies", Company, companies, with_pk=True)
            report.copy("people", Person, people, with_pk=True)
            report.copy("deals", Deal, deals)
        started = time.perf_counter()
        verb = vacuum_analyse([Company, Person, Deal])
        self.stdout.write(f"Generated {report.total_rows:,} rows in {generated:.1f} s.")
        bench.print_table(report.table(), self.stdout)
        self.stdout.write(f"{verb}: {time.perf_counter() - started:.1f} s.")
        pipeline = Pipeline.objects.get(name=PIPELINE)
        start, end = period_range(PERIOD_QUARTER, today=today)
        in_quarter = Deal.objects.filter(pipeline=pipeline, stage__kind=Stage.Kind.OPEN).filter(
            expected_close_date__range=(start, end)
        )
        closed_in_quarter = Deal.objects.filter(pipeline=pipeline, closed_on__range=(start, end))
        self.stdout.write(
            f"This quarter ({start} – {end}): {in_quarter.count():,} open deals closing, "
            f"{closed_in_quarter.count():,} won or lost."
        )

    # Measuring -----------------------------------------------------------------------------------

    def measure(self, *, users: dict, repeat: int) -> list[dict]:
        pipeline = Pipeline.objects.get(name=PIPELINE)
        board = reverse("opportunities:board")
        quarter = f"{board}?{urlencode({'pipeline': pipeline.pk, 'period': 'quarter', 'won': 'on'})}"
        anytime = (
            f"{board}?{urlencode({'pipeline': pipeline.pk, 'period': 'any', 'won': 'on', 'lost': 'on'})}"
        )
        pages = [
            ("Administrator", "board, all reps, this quarter", quarter, {}, True),
            ("Manager", "board, all reps, this quarter", quarter, {}, True),
            ("Sales rep", "board, all reps, this quarter", quarter, {}, True),
            ("Administrator", "htmx refresh of the columns", quarter, {"HX-Request": "true"}, True),
            ("Administrator", "board, any time, won + lost", anytime, {}, False),
        ]
        clients = {
            persona: bench.logged_in_client(users[key])
            for persona, key in (("Administrator", "admin"), ("Manager", "manager"), ("Sales rep", "rep"))
        }
        results = []
        for persona, label, url, headers, targeted in pages:
            client = clients[persona]
            client.defaults.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
            result = {"persona": persona, "label": label, "target": BOARD_TARGET_MS if targeted else None}
            try:
                result.update(bench.measure(client, url, repeat=repeat))
            except Exception as error:  # one broken page must not hide the others
                result["error"] = f"error: {type(error).__name__}: {error}"
            for key in headers:
                client.defaults.pop(f"HTTP_{key.upper().replace('-', '_')}", None)
            results.append(result)
        results.append(self.measure_move(clients["Administrator"], pipeline=pipeline, repeat=repeat))
        return results

    def measure_move(self, client, *, pipeline: Pipeline, repeat: int) -> dict:
        """POST deal_move_stage Negotiation → Quotation → Negotiation …, as the board's drop does."""
        stages = {stage.name: stage for stage in pipeline.stages.all()}
        deal = (
            Deal.objects.filter(
                stage=stages["Negotiation"], value__isnull=False, expected_close_date__isnull=False
            )
            .order_by("pk")
            .first()
        )
        result = {
            "persona": "Administrator",
            "label": "stage move (POST, HX-Request)",
            "target": MOVE_TARGET_MS,
        }
        if deal is None:
            result["error"] = "no deal in Negotiation"
            return result
        url = reverse("opportunities:deal_move_stage", args=[deal.pk])
        targets = [stages["Quotation"], stages["Negotiation"]]
        version = deal.version
        samples, queries, sql = [], 0, []
        for index in range(repeat + 3):
            data = {"stage": targets[index % 2].pk, "version": version}
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.post(url, data, secure=True, headers={"HX-Request": "true"})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                result["error"] = f"POST {url} answered {response.status_code}"
                return result
            version += 1
            if index >= 2:  # after warm-up
                samples.append(elapsed)
            queries, sql = len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]
        result.update(
            {
                "url": url,
                "median_ms": statistics.median(samples),
                "p95_ms": bench._percentile(samples, 95),
                "max_ms": max(samples),
                "queries": queries,
                "sql_ms": None,
                "sql": sql,
            }
        )
        return result

    def print_results(self, results: list[dict], *, repeat: int) -> None:
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        self.stdout.write(
            f"{repeat} timed requests each after warm-up (in-process; load average {load} on "
            f"{os.cpu_count()} cores). SQL ms and queries: one more (warm) request."
        )
        rows = [["persona", "measured", "median ms", "p95 ms", "max ms", "SQL ms", "queries", "target"]]
        for result in results:
            if "error" in result:
                rows.append(
                    [result["persona"], result["label"], None, None, None, None, None, result["error"]]
                )
                continue
            target = result["target"]
            verdict = (
                ""
                if target is None
                else f"< {target} ms: " + ("ok" if result["median_ms"] < target else "SLOW")
            )
            rows.append(
                [
                    result["persona"],
                    result["label"],
                    result["median_ms"],
                    result["p95_ms"],
                    result["max_ms"],
                    result["sql_ms"],
                    result["queries"],
                    verdict or "(no target)",
                ]
            )
        bench.print_table(rows, self.stdout)
        self.stdout.write("")
        self.stdout.write(
            f"Targets: the board median < {BOARD_TARGET_MS} ms, a stage move < {MOVE_TARGET_MS} ms; "
            "the board's query count does not grow with the deals "
            "(pinned in tests/opportunities/test_board.py)."
        )

    def explain(self, results: list[dict]) -> None:
        """EXPLAIN (ANALYZE) of the board's queries on the deals table, for the Administrator's board."""
        result = next((r for r in results if r["label"].startswith("board, all reps") and "sql" in r), None)
        if result is None:
            return
        self.stdout.write("")
        self.stdout.write(f"EXPLAIN (ANALYZE) of the deal queries of {result['persona']}, {result['label']}:")
        table = Deal._meta.db_table
        for sql in result["sql"]:
            if f'FROM "{table}"' not in sql and f'"{table}"."id" AS "col1"' not in sql:
                continue
            with connection.cursor() as cursor:
                cursor.cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            execution = next((line.strip() for line in plan if line.strip().startswith("Execution Time")), "")
            self.stdout.write(f"- {sql[:90]}…")
            self.stdout.write(f"    {plan[0].strip()}  |  {execution}")
            if self.verbosity >= 2:
                for line in plan:
                    self.stdout.write("      " + line)
