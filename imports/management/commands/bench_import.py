"""Benchmark of the import (issue 12, "Speed"): 100,000 people rows from an XLSX file, each
with a company to find among 10,000, imported end to end by the import's own batches.

    .venv/bin/python -m crm.embedded --data-dir var/bench-imports -- \\
        .venv/bin/python manage.py bench_import [--rows 100000]

Prints the bare read time of the file (python-calamine, as the import reads it), the time of
each phase, rows per second and the ratio of the whole import to the bare read, and the peak
memory of this process. People of an earlier run are deleted first (so that every row is
created, not matched), and the people it creates are deleted again at the end.
"""

from __future__ import annotations

import io
import resource
import tempfile
import time
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast

from contacts.models import Company, Person, RequiredField
from crm import lookup_cache
from crm.models import AuditEvent
from imports import readers, services, writers
from imports.models import ImportJob, ImportRow

COMPANIES = 10_000
EMAIL_DOMAIN = "@bench-import.example"


@contextmanager
def _timed():
    """Seconds spent in each phase of the batches, by name, while the block runs."""
    phases = {"validation and matching": 0.0, "writing": 0.0, "outcomes": 0.0}

    def timing(name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] += time.perf_counter() - started

        return timed

    originals = (writers.PersonWriter.plan, writers.PersonWriter.write, services._note_outcomes)
    writers.PersonWriter.plan = timing("validation and matching", originals[0])
    writers.PersonWriter.write = timing("writing", originals[1])
    services._note_outcomes = timing("outcomes", originals[2])
    try:
        yield phases
    finally:
        writers.PersonWriter.plan, writers.PersonWriter.write, services._note_outcomes = originals


class Command(BaseCommand):
    help = "Time an import of people rows from XLSX (own data dir: var/bench-imports)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="keep the imported people")

    def handle(self, *args, rows: int, keep: bool, **options):
        user = self._user()
        self._forget()
        names = self._companies(user)
        data = self._xlsx(rows, names)
        self.stdout.write(f"file: {rows} rows, {len(data) / 1e6:.1f} MB")

        started = time.perf_counter()
        readers.read_file(data, "people.xlsx")
        bare = time.perf_counter() - started
        self.stdout.write(f"bare read (python-calamine): {bare:.2f} s")

        started = time.perf_counter()
        job = services.job_create(actor=user, kind="people", data=data, file_name="people.xlsx")
        staged = time.perf_counter() - started
        job = services.job_configure(
            actor=user, job=job, mapping=job.mapping, mode="create_or_update", match_key="email"
        )
        services.job_start(actor=user, job=job, in_worker=False)
        batches_started = time.perf_counter()
        with _timed() as phases:
            job = services.job_run_here(job=job)
        batches = time.perf_counter() - batches_started
        total = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"read + staging: {staged:.2f} s; batches: {batches:.2f} s")
        rest = batches - sum(phases.values())
        self.stdout.write(
            "batches: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items())
            + f", the rest (rows read, counts, transactions) {rest:.2f} s"
        )
        self.stdout.write(
            f"import: {total:.2f} s, {rows / total:,.0f} rows/s, {total / bare:.1f}× the bare read; "
            f"created {job.created}, updated {job.updated}, rejected {job.rejected}; "
            f"peak memory {peak_mb:.0f} MB"
        )
        if not keep:
            self._forget()

    def _forget(self) -> None:
        """The bench's people, their history and audit rows, and its jobs: deleted in SQL (the
        ORM's delete would write a history row for each of them first)."""
        people = Person.objects.filter(email__endswith=EMAIL_DOMAIN)
        audit = AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Person),
            object_id__in=people.annotate(text_id=Cast("pk", CharField())).values("text_id"),
        )
        with transaction.atomic():
            audit._raw_delete(audit.db)
            Person.history.filter(email__endswith=EMAIL_DOMAIN)._raw_delete(audit.db)
            people._raw_delete(people.db)
            jobs = ImportJob.objects.filter(owner__username="bench-importer")
            ImportRow.objects.filter(job__in=jobs)._raw_delete(jobs.db)
            jobs.delete()
        # What autovacuum would do between imports: without it, each run writes into the heaps
        # and indexes that the deleted rows of every earlier run still fill (the figures drift
        # down run after run).
        tables = [Person, Person.history.model, AuditEvent, ImportRow]
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE " + ", ".join(model._meta.db_table for model in tables))

    def _user(self):
        user, _created = get_user_model().objects.get_or_create(
            username="bench-importer", defaults={"is_superuser": True, "is_staff": True}
        )
        RequiredField.objects.filter(target="contacts.person").update(is_required=False)
        lookup_cache.clear()
        return user

    def _companies(self, user) -> list[str]:
        names = [f"Bench Import Company {number:05d} AB" for number in range(COMPANIES)]
        existing = set(Company.objects.filter(name__in=names).values_list("name", flat=True))
        Company.objects.bulk_create(
            [Company(name=n, owner=user, search_text=n.lower()) for n in names if n not in existing],
            batch_size=2000,
        )
        return names

    def _xlsx(self, rows: int, companies: list[str]) -> bytes:
        import xlsxwriter

        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
        sheet = workbook.add_worksheet()
        headings = ["First name", "Last name", "E-mail", "Phone", "Title", "Company", "City", "Notes"]
        sheet.write_row(0, 0, headings)
        for number in range(1, rows + 1):
            sheet.write_row(
                number,
                0,
                [
                    f"First{number}",
                    f"Last{number}",
                    f"person{number}{EMAIL_DOMAIN}",
                    f"+46 70 {number:07d}",
                    "Buyer",
                    companies[number % len(companies)],
                    "Malmö",
                    "imported",
                ],
            )
        workbook.close()
        return buffer.getvalue()
