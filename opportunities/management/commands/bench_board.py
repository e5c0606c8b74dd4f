"""Seed deals at sales-board scale, then time the board and a stage move.

Run it on a throwaway database (``scripts/bench_board.sh``): it adds the 50 sales reps of
bench_contacts (five teams, a manager of the first, an administrator), companies with a
contact each, and in the "Classic" pipeline 10,000 open deals over its four open stages plus
20,000 closed ones (won and lost), and leaves them there.

Rows are made in Python from a fixed random seed and loaded with PostgreSQL COPY;
``search_text`` is computed by ``Deal.search_words()`` exactly as ``SearchableModel.save()``
does. Open deals close between two months ago and nine months ahead, closed ones were closed
over the last three years.

Measured in-process with crm.bench (the whole middleware stack, no HTTP server): the board
"all reps, this quarter" for an Administrator and a Manager, the htmx refresh of its columns,
and a stage move round-trip (POST to deal_move_stage between Negotiation and Quotation, which
need nothing the deals lack).
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import time
from decimal import Decimal
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.management.bench_data import SEED, Generator, search_text_of
from contacts.management.commands.bench_contacts import Command as ContactsBench
from contacts.management.commands.bench_contacts import allocate_ids, copy_rows
from contacts.models import Company, Person
from crm import bench
from crm.models import Team
from opportunities.board import PERIOD_QUARTER, period_range
from opportunities.models import Deal, Pipeline, Stage

REFUSE_FROM_DEALS = 1_000
BOARD_TARGET_MS = 300
MOVE_TARGET_MS = 100
PIPELINE = "Classic"
OPEN_SHARES = {"Prospecting": 0.35, "Qualification": 0.25, "Quotation": 0.25, "Negotiation": 0.15}
WON_SHARE = 0.45
CURRENCIES = [("EUR", 70), ("SEK", 20), ("HUF", 10)]
PRODUCTS = [
    "Archive digitisation",
    "Film scanning",
    "Records management",
    "Long-term preservation",
    "Microfilm conversion",
    "Audio restoration",
    "Document capture",
    "Hosting renewal",
]
LOST_REASONS = ["Price", "Went with a competitor", "No budget this year", "Project cancelled"]


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
        users = ContactsBench(stdout=self.stdout._out).seed_users()
        self.seed(users=users, open_count=open, closed_count=closed, company_count=companies)
        self.stdout.write("")
        results = self.measure(users=users, repeat=repeat)
        self.print_results(results, repeat=repeat)
        self.explain(results)

    # Seeding -------------------------------------------------------------------------------------

    def seed(self, *, users: dict, open_count: int, closed_count: int, company_count: int) -> None:
        reps = users["reps"]
        team_of = {}
        for team in Team.objects.filter(name__startswith="Bench ").prefetch_related("members"):
            for member in team.members.all():
                team_of[member.pk] = team.pk
        generator = Generator(reps=reps, team_of=team_of)
        pick = random.Random(SEED + 1)
        pipeline = Pipeline.objects.get(name=PIPELINE)
        stages = {stage.name: stage for stage in pipeline.stages.all()}
        won = next(stage for stage in stages.values() if stage.kind == Stage.Kind.WON)
        lost = next(stage for stage in stages.values() if stage.kind == Stage.Kind.LOST)
        today = timezone.localdate()
        now = timezone.now()

        started = time.perf_counter()
        with transaction.atomic():
            company_rows = [generator.company() for _ in range(company_count)]
            for row, pk in zip(company_rows, allocate_ids(Company, company_count), strict=True):
                row["id"] = pk
            person_rows = [generator.person(company) for company in company_rows]
            for row, pk in zip(person_rows, allocate_ids(Person, len(person_rows)), strict=True):
                row["id"] = pk
            contact_of = {row["company_id"]: row["id"] for row in person_rows}

            def deal(stage: Stage, *, closed_on: datetime.date | None) -> dict:
                company = pick.choice(company_rows) if pick.random() < 0.9 else None
                owner = pick.choice(reps) if pick.random() < 0.95 else None
                value = Decimal(pick.randrange(1_000, 500_000, 500))
                product = pick.choice(PRODUCTS)
                name = f"{company['name'] if company else 'New customer'} – {product}"
                created_at = now - datetime.timedelta(days=pick.randint(30, 1200))
                if closed_on is None:
                    expected = today + datetime.timedelta(days=pick.randint(-60, 270))
                else:
                    expected = closed_on + datetime.timedelta(days=pick.randint(-30, 30))
                return {
                    "pipeline_id": pipeline.pk,
                    "stage_id": stage.pk,
                    "name": name[:200],
                    "company_id": company["id"] if company else None,
                    "primary_contact_id": contact_of.get(company["id"]) if company else None,
                    "value": value,
                    "currency": pick.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0],
                    "probability": None if pick.random() < 0.7 else pick.randrange(5, 95, 5),
                    "expected_close_date": expected,
                    "closed_on": closed_on,
                    "lost_reason": pick.choice(LOST_REASONS) if stage.kind == Stage.Kind.LOST else "",
                    "owner_id": owner.pk if owner else None,
                    "team_id": team_of.get(owner.pk) if owner and pick.random() < 0.6 else None,
                    "created_at": created_at,
                    "updated_at": created_at,
                    "version": 1,
                    "custom_fields": {},
                    "search_text": search_text_of(Deal(name=name[:200])),
                }

            deal_rows = []
            names, weights = list(OPEN_SHARES), list(OPEN_SHARES.values())
            for _ in range(open_count):
                deal_rows.append(deal(stages[pick.choices(names, weights)[0]], closed_on=None))
            for _ in range(closed_count):
                closed_on = today - datetime.timedelta(days=pick.randint(0, 3 * 365))
                deal_rows.append(deal(won if pick.random() < WON_SHARE else lost, closed_on=closed_on))
            generated = time.perf_counter() - started

            started = time.perf_counter()
            loaded = [
                ("companies", copy_rows(Company, company_rows, with_pk=True)),
                ("people", copy_rows(Person, person_rows, with_pk=True)),
                ("deals", copy_rows(Deal, deal_rows)),
            ]
            copy_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for model in (Company, Person, Deal):
                cursor.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")
            if not connection.in_atomic_block:
                try:
                    cursor.execute("CHECKPOINT")
                except DatabaseError:
                    verb += " (no CHECKPOINT: not a superuser)"
        total = sum(count for _name, count in loaded)
        self.stdout.write(
            f"Generated {total:,} rows in {generated:.1f} s; COPY {copy_seconds:.1f} s "
            f"({', '.join(f'{count:,} {name}' for name, count in loaded)}); "
            f"{verb} {time.perf_counter() - started:.1f} s."
        )
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
