"""Time the GDPR work at volume: the contacts-by-age page and the bulk anonymisation of the
retention job over 50,000 people (``--people``) who each have two history rows and an audit row.

Run it in its own data dir, never the shared benchmark's (var/bench)::

    CRM_DATA_DIR=var/bench-gdpr .venv/bin/python -m crm.embedded --data-dir var/bench-gdpr -- \\
      bash -c '.venv/bin/python manage.py migrate -v0 && \\
               CRM_DB_STATEMENT_TIMEOUT_SECONDS=0 .venv/bin/python manage.py bench_gdpr'

The people are loaded with COPY (crm.bench_load); anonymisation then runs as the nightly job
does (gdpr.services.retention_anonymise: batches of RETENTION_BATCH, a transaction each). It is
irreversible, so a second run finds nobody left: delete the data dir to run again.
"""

from __future__ import annotations

import datetime
import random
import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from crm import bench, bench_load, outbox
from crm.models import AuditEvent, QueuedTask, Role, User
from crm.search import normalise_for_search
from gdpr import bulk_jobs, registry, services

DOMAIN = "bench-gdpr.example"


class Command(BaseCommand):
    help = "Seed people with history in var/bench-gdpr and time contacts by age and bulk anonymisation."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=50_000, help="people to seed (50,000)")
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (20)")
        parser.add_argument(
            "--page-only", action="store_true", help="time the page only, not the retention job"
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="anonymise everyone as the bulk job with a progress bar does (its queued batches run "
            "one after the other as a worker runs them), instead of the retention job",
        )

    def handle(self, *args, people: int, repeat: int, page_only: bool = False, bulk: bool = False, **options):
        if settings.DATA_DIR.name == "bench":
            raise CommandError("Not in the shared benchmark's data dir: use var/bench-gdpr.")
        subject = registry.subject("person")
        if subject is None:
            raise CommandError("No person subject is registered (contacts is not installed).")
        model = subject.model
        if model._base_manager.filter(email__endswith=f"@{DOMAIN}").exists():
            raise CommandError(f"Already seeded: delete the data dir ({settings.DATA_DIR}) to run again.")
        admin, _created = User.objects.get_or_create(
            username="bench-gdpr-admin", defaults={"email": "admin@" + DOMAIN}
        )
        admin.groups.add(Group.objects.get(name=Role.ADMINISTRATOR.value))
        owners = [
            User.objects.get_or_create(
                username=f"bench-gdpr-rep-{n}", defaults={"email": f"rep{n}@{DOMAIN}"}
            )[0]
            for n in range(5)
        ]
        started = time.perf_counter()
        self.seed(model, people, owners)
        self.stdout.write(
            f"seeded {people:,} people, {2 * people:,} history rows, {people:,} audit rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
        bench_load.vacuum_analyse([model, model.history.model, AuditEvent])

        client = bench.logged_in_client(admin)
        rows = [("page", "median ms", "p95 ms", "queries")]
        for query in ("", "?older_than=24", "?older_than=24&page=50", "?kind=lead"):
            result = bench.measure(client, reverse("gdpr:contact_age_list") + query, repeat=repeat)
            rows.append(
                (
                    f"contacts by age {query}",
                    round(result["median_ms"], 1),
                    round(result["p95_ms"], 1),
                    result["queries"],
                )
            )
        bench.print_table(rows, file=self.stdout)
        if page_only:
            return

        services.settings_update(
            actor=None,
            anonymised_fields=["person.email", "person.phone"],
            retention_months=12,
            heads_up_days=7,
        )
        started = time.perf_counter()
        if bulk:
            count, batches = self.bulk_job(admin, subject, model)
            what = f"bulk job ({batches} queued batches of {bulk_jobs.BATCH})"
        else:
            count = services.retention_anonymise()
            what = "retention job"
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{what}: {count:,} people anonymised (with their history and audit rows) in "
            f"{seconds:.1f} s, {count / seconds:,.0f} people/s (target: 50,000 in < 60 s)"
        )
        left = model._base_manager.filter(email__endswith=f"@{DOMAIN}").count()
        self.stdout.write(f"people still carrying their bench e-mail: {left}")

    def bulk_job(self, admin, subject, model) -> tuple[int, int]:
        """Start the bulk anonymisation of every bench person, then run its queued tasks as a
        worker does (crm.outbox.run_queued), each batch queueing the next; the progress the page
        polls is the job's `done` column. Returns (people anonymised, batches run)."""
        pks = list(model._base_manager.filter(email__endswith=f"@{DOMAIN}").values_list("pk", flat=True))
        job = bulk_jobs.bulk_anonymisation_start(actor=admin, subject=subject, pks=pks)
        name = (
            f"{bulk_jobs.bulk_anonymisation_run.__module__}.{bulk_jobs.bulk_anonymisation_run.__qualname__}"
        )
        batches = 0
        while True:
            queued = QueuedTask.objects.filter(function=name, status=QueuedTask.Status.PENDING).first()
            if queued is None:
                break
            outbox.run_queued(queued.pk)
            batches += 1
        job.refresh_from_db()
        if not job.is_finished or job.error:
            raise CommandError(f"The bulk job did not finish: {job.status} {job.error}")
        return job.anonymised, batches

    def seed(self, model, count: int, owners: list[User]) -> None:
        generator = random.Random(13)
        now = timezone.now()
        rows = []
        for number in range(count):
            first, last = f"Given{number}", f"Family{number}"
            email = f"given{number}.family{number}@{DOMAIN}"
            phone = f"+4670{number:07d}"
            touched = now - datetime.timedelta(days=generator.randint(400, 2000))
            rows.append(
                {
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "phone": phone,
                    "title": "Buyer",
                    "owner_id": owners[number % len(owners)].pk,
                    "created_at": touched,
                    "updated_at": touched,
                    "last_touched_at": touched,
                    "custom_fields": {},
                    "search_text": normalise_for_search(f"{first} {last} {email} {DOMAIN} {phone} Buyer"),
                }
            )
        bench_load.assign_ids(model, rows)
        bench_load.copy_rows(model, rows, with_pk=True)
        history = model.history.model
        bench_load.copy_rows(
            history,
            (
                {
                    **row,
                    "history_date": row["created_at"] + datetime.timedelta(seconds=seconds),
                    "history_type": kind,
                    "history_user_id": row["owner_id"],
                    "title": "Buyer" if kind == "~" else "Trainee",
                }
                for row in rows
                for kind, seconds in (("+", 0), ("~", 60))
            ),
        )
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        bench_load.copy_rows(
            AuditEvent,
            (
                {
                    "actor_id": row["owner_id"],
                    "verb": "update",
                    "content_type_id": content_type.pk,
                    "object_id": str(row["id"]),
                    "object_repr": f"{row['first_name']} {row['last_name']}",
                    "changes": {"title": ["Trainee", "Buyer"], "email": row["email"]},
                    "created_at": row["created_at"],
                }
                for row in rows
            ),
        )
