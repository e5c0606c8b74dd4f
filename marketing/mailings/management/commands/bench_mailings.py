"""Benchmark: an e-mail campaign to N recipients (50,000 by default) rendered and handed to the
in-memory e-mail backend by the real sending path (claims, merge, tracked links, footer, MIME,
each row marked sent) — prints mails/s. Target (issue 14): 500 mails/s or more.

    python -m crm.embedded --data-dir var/dev-b-marketing -- python manage.py bench_mailings

Its people, segment and campaigns are removed at the end (--keep leaves them). Not a test: run
it on a data dir of its own, never on var/bench.
"""

from __future__ import annotations

import time

from django.core import mail
from django.core.mail import get_connection
from django.core.management.base import BaseCommand
from django.db import transaction

from contacts.models import Person
from crm.models import User
from marketing.mailings import services
from marketing.mailings.models import EmailCampaign, Recipient
from marketing.models import Campaign, Segment

DOMAIN = "bench-mailings.example"
BODY = (
    "Hello {{ contact.first_name }},\n\nOur spring offer for {{ company.name }} is out: "
    "https://example.com/spring?utm=mail — and the price list: https://example.com/pricing.\n\n"
    "Best regards,\n{{ user.full_name }}"
)


class Command(BaseCommand):
    help = "Send an e-mail campaign to N recipients through the locmem backend and print mails/s."

    def add_arguments(self, parser):
        parser.add_argument("--recipients", type=int, default=50_000)
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--keep", action="store_true")

    def handle(self, *args, recipients: int, batch: int, keep: bool, **options):
        actor = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
            "bench-mailings", f"admin@{DOMAIN}", "x" * 16
        )
        self._clean()
        started = time.perf_counter()
        Person.objects.bulk_create(
            (
                Person(first_name=f"Reader{n}", last_name="Bench", email=f"r{n}@{DOMAIN}", consent_email=True)
                for n in range(recipients)
            ),
            batch_size=5000,
        )
        self.stdout.write(f"{recipients:,} people in {time.perf_counter() - started:.1f} s.")
        segment = Segment.objects.create(name="Bench mailings", definition={"consent": "yes"})
        campaign = Campaign.objects.create(name="Bench mailings", kind=Campaign.Kind.EMAIL)
        mailing = services.mailing_create(
            actor=actor,
            values={
                "name": "Bench mail",
                "campaign": campaign,
                "segment": segment,
                "subject": "Spring offer, {{ contact.first_name }}",
                "body": BODY,
            },
        )
        started = time.perf_counter()
        # Only this bench's people: the segment's others (demo data) are left out.
        with transaction.atomic():
            services.mailing_start(mailing_id=mailing.pk)
            Recipient.objects.filter(email_campaign=mailing).exclude(email__endswith=f"@{DOMAIN}").delete()
            EmailCampaign.objects.filter(pk=mailing.pk).update(sent_by=actor)
        prepared = time.perf_counter() - started
        total = Recipient.objects.filter(email_campaign=mailing).count()
        self.stdout.write(f"{total:,} recipient rows in {prepared:.1f} s.")

        backend = get_connection("django.core.mail.backends.locmem.EmailBackend")
        mail.outbox = []
        sent = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        while True:
            count = services.send_batch(mailing_id=mailing.pk, size=batch, connection_=backend)
            if not count:
                break
            sent += count
            handed = len(mail.outbox)
            mail.outbox = []  # the backend keeps every message: let them go
            assert handed == count
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent {sent:,} mails in {seconds:.1f} s: {sent / seconds:,.0f} mails/s "
                f"(rendered, tracked, MIME-encoded, handed to locmem, each row marked sent). Target: 500."
            )
        )
        # On a shared machine the wall clock counts other people's work too.
        self.stdout.write(f"This process's CPU: {cpu:.1f} s, {sent / cpu:,.0f} mails per CPU second.")
        if not keep:
            self._clean()

    def _clean(self) -> None:
        EmailCampaign.objects.filter(name="Bench mail").delete()
        Campaign.objects.filter(name="Bench mailings").delete()
        Segment.objects.filter(name="Bench mailings").delete()
        Person.objects.filter(email__endswith=f"@{DOMAIN}").delete()
