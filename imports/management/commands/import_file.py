"""Import a spreadsheet from disk, for administrators migrating big data sets:

    manage.py import_file people.xlsx --kind people --user admin --match-key email \\
        --mode create_or_update --create-companies --map "Org=cf:org_number"

The same services as the wizard (the mapping is guessed from the headings, --map overrides it),
run here batch by batch, each batch in its own transaction, with a progress bar."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from imports import readers, services
from imports.models import ImportJob, Kind, Mode

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import companies, people or leads from a CSV or XLSX file on disk."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--kind", required=True, choices=[k.value for k in Kind])
        parser.add_argument("--user", required=True, help="user name of the importer (owner of new records)")
        parser.add_argument("--mode", choices=[m.value for m in Mode], default=None)
        parser.add_argument("--match-key", default=None)
        parser.add_argument("--create-companies", action="store_true")
        parser.add_argument("--map", action="append", default=[], metavar="HEADING=FIELD")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']}")
        try:
            job = services.job_create(
                actor=user, kind=options["kind"], data=path.read_bytes(), file_name=path.name
            )
            mapping = dict(job.mapping)
            for item in options["map"]:
                heading, _sep, field = item.partition("=")
                if heading not in job.headers:
                    raise CommandError(f"no column {heading!r} in the file")
                mapping[str(job.headers.index(heading))] = field
            job = services.job_configure(
                actor=user,
                job=job,
                mapping=mapping,
                mode=options["mode"] or job.mode,
                match_key=job.match_key if options["match_key"] is None else options["match_key"],
                create_related=options["create_companies"],
            )
        except (readers.ImportFileError, services.ImportError_) as error:
            raise CommandError(str(error)) from error
        except PermissionDenied as error:
            raise CommandError(f"{user} may not import (permission {services.PERMISSION})") from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        columns = ", ".join(f"{job.headers[int(i)]} → {name}" for i, name in sorted(job.mapping.items()))
        self.stdout.write(f"import {job.pk}: {job.rows_total} rows; {columns}")
        services.job_start(actor=user, job=job, in_worker=False)
        started = time.monotonic()
        job = services.job_run_here(job=job, progress=lambda j: self._bar(j, started))
        sys.stdout.write("\n")
        self._summary(job, time.monotonic() - started)

    def _bar(self, job: ImportJob, started: float) -> None:
        total = job.rows_total or 1
        done = min(job.rows_done, total)
        filled = int(BAR_WIDTH * done / total)
        rate = done / max(time.monotonic() - started, 1e-6)
        sys.stdout.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} rows, {rate:,.0f} rows/s"
            f", {job.rejected} rejected"
        )
        sys.stdout.flush()

    def _summary(self, job: ImportJob, seconds: float) -> None:
        self.stdout.write(
            f"{job.get_status_display()}: {job.created} created, {job.updated} updated, "
            f"{job.skipped} skipped, {job.rejected} rejected in {seconds:.1f} s"
        )
        if job.rejected:
            self.stdout.write(f"the rejected rows and their reasons: /imports/{job.pk}/rejected.xlsx")
