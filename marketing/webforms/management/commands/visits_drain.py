"""Write the queued website visits now (what the Celery beat job does every few seconds)."""

import time

from django.core.management.base import BaseCommand

from marketing.webforms import visit_queue


class Command(BaseCommand):
    help = "Write the page visits queued by the tracking endpoint: events taken, visits written, events/s."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=visit_queue.BATCH_SIZE)

    def handle(self, *args, batch_size, **options):
        started = time.perf_counter()
        result = visit_queue.visits_drain(batch_size=max(1, batch_size))
        seconds = time.perf_counter() - started
        rate = result.events / seconds if seconds else 0
        self.stdout.write(
            f"{result.events} events in {result.batches} batches, {result.recorded} visits written "
            f"in {seconds:.2f} s ({rate:.0f} events/s)"
        )
