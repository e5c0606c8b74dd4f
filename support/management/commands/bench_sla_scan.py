"""Benchmark: the SLA breach scan over 500,000 tickets (issue 15: target < 10 s).

    .venv/bin/python -m crm.embedded --data-dir var/bench-support -- \\
        .venv/bin/python manage.py bench_sla_scan

On a data dir of its own (never var/bench): the first run seeds the bench users, 20,000
companies with 40,000 people and support's bench data (support.bench: 500,000 tickets); later
runs reuse them. Each run first undoes what earlier scans escalated (their marks, mails and
audit rows), so that every run times the same kind of work: a full scan that finds the open
tickets whose due time passed in the last hours, marks, bumps, audits and mails them — then a
second scan, the steady state of a minutely beat, that finds nothing new.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import F

from crm.bench_load import LoadReport, vacuum_analyse
from crm.models import AuditEvent, OutboundEmail
from support import bench, sla
from support.models import Ticket


class Command(BaseCommand):
    help = "Seed (or reuse) 500,000 tickets and time the SLA breach scan."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=bench.TICKETS)

    def handle(self, *args, tickets: int, **options):
        if settings.DATA_DIR.name == "bench":
            raise CommandError("Run it on a data dir of its own (var/bench-support), not on var/bench.")
        self._seed(tickets)
        reset = self._undo_earlier_scans()
        open_tickets = Ticket.objects.filter(status__in=["new", "open"]).count()
        self.stdout.write(
            f"{Ticket.objects.count():,} tickets, {open_tickets:,} running; undid {reset:,} marks."
        )
        started = time.perf_counter()
        counts = sla.breaches_escalate()
        full = time.perf_counter() - started
        started = time.perf_counter()
        again = sla.breaches_escalate()
        steady = time.perf_counter() - started
        mails = OutboundEmail.objects.filter(dedupe_key__startswith="support-breach:").count()
        self.stdout.write(
            f"Full scan: {full:.2f} s (target < 10 s), escalated {counts['first_response']:,} first-response "
            f"and {counts['resolution']:,} resolution breaches, {mails:,} mails queued."
        )
        self.stdout.write(
            f"Next scan (nothing new): {steady * 1000:.0f} ms, escalated {sum(again.values())}."
        )

    def _seed(self, tickets: int) -> None:
        if Ticket.objects.filter(subject__startswith="Bench ").exists():
            return
        from contacts.management.bench_data import (
            Generator,
            company_rows,
            person_rows,
            seed_users,
            team_of_reps,
        )
        from contacts.models import Company, Person

        report = LoadReport()
        started = time.perf_counter()
        users = seed_users()
        if not Company.objects.exists():
            generator = Generator(reps=users["reps"], team_of=team_of_reps())
            companies = company_rows(generator, 20_000)
            report.copy("companies", Company, companies, with_pk=True)
            report.copy("people", Person, person_rows(generator, companies, 40_000), with_pk=True)
        made = bench.bench_support_seed(admin=users["admin"], report=report, tickets=tickets)
        vacuum_analyse()
        self.stdout.write(f"Seeded {made} in {time.perf_counter() - started:.0f} s.")

    def _undo_earlier_scans(self) -> int:
        """Scans mark a breach with the scan's time, after the due time; the seed marks old
        breaches with the due time itself: undo only the scans' marks."""
        first = Ticket.objects.filter(first_response_breached_at__gt=F("first_response_due_at")).update(
            first_response_breached_at=None
        )
        resolution = Ticket.objects.filter(resolution_breached_at__gt=F("resolution_due_at")).update(
            resolution_breached_at=None
        )
        OutboundEmail.objects.filter(dedupe_key__startswith="support-breach:").delete()
        AuditEvent.objects.filter(verb__startswith="sla_breach_").delete()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Ticket._meta.db_table}")
        return first + resolution
