"""Load the website tracking endpoint (`w/t/visit`) of a CRM running on this machine, as the
snippets on a busy company website would: events/s, p50/p95 latency, and how many visits were
stored. A benchmark, not a test (issue 14: "the tracking endpoint sustains 1,000 events/s").

Start the CRM under gunicorn as in production, trusting one proxy so that each simulated visitor
has an address of its own (the endpoint is rate-limited per client IP), e.g.::

    .venv/bin/python -m crm.embedded --data-dir var/webforms-bench -- bash -c '
      .venv/bin/python manage.py migrate -v0 && .venv/bin/python manage.py collectstatic --noinput -v0
      CRM_TRUSTED_PROXY_COUNT=1 DJANGO_DEBUG=false .venv/bin/gunicorn crm.wsgi -c gunicorn.conf.py \
        --bind 127.0.0.1:8078 & sleep 5
      .venv/bin/python manage.py bench_tracking --base-url http://127.0.0.1:8078 --processes 4 --duration 20
      kill %1'

The load comes from --processes client processes (not threads: on 2 cores a threaded Python
client is the bottleneck), each sending prebuilt requests over a fresh connection per request
(gunicorn's sync workers close after each response). The visits are queued in Redis by the
endpoint; after the load the queue is drained here (what the Celery beat job does) and the
drain's rate is reported too.

Known visitors are made here (people who agreed to e-mail, named "Bench visitor"), each with a
signed visitor token as a tracked e-mail click gives; a share of the events carries a forged
token (answered 204, nothing stored), as real traffic does.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from contacts.models import Person
from crm.bench import format_table
from crm.management.commands.load_test import MAX_CLIENTS, MAX_DURATION, local_target, percentile
from marketing import visitors
from marketing.webforms import visit_queue
from marketing.webforms.models import PageVisit

PAGES = ["/", "/pricing", "/products/scanning", "/blog/film-care", "/contact/thank-you", "/portal/login"]
PATH = "/w/t/visit"
REQUESTS_PREBUILT = 5000


def visitor_tokens(number: int) -> list[str]:
    """Tokens of `number` consenting bench people (made once, reused by later runs)."""
    existing = list(
        Person.objects.filter(last_name="Bench visitor", consent_email=True).values_list("pk", flat=True)[
            :number
        ]
    )
    missing = number - len(existing)
    if missing > 0:
        made = Person.objects.bulk_create(
            Person(
                first_name=f"V{index}",
                last_name="Bench visitor",
                email=f"visitor{index}@bench.example",
                consent_email=True,
            )
            for index in range(len(existing), number)
        )
        existing += [person.pk for person in made]
    return [visitors.visitor_token(person_id=pk) for pk in existing]


def prebuilt_requests(host: str, port: int, tokens: list[str], forged_every: int) -> list[bytes]:
    """Raw HTTP requests as the snippet sends them, each from an address of its own."""
    requests = []
    for number in range(1, REQUESTS_PREBUILT + 1):
        token = tokens[number % len(tokens)]
        if forged_every and number % forged_every == 0:
            token = token[:-3] + "abc"
        body = urlencode({"url": f"https://www.example.com{PAGES[number % len(PAGES)]}", "vid": token})
        # One address per visitor (behind the proxy the CRM trusts): the per-IP limit holds for
        # each, as for real visitors.
        forwarded = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n"
            f"Content-Length: {len(body)}\r\nX-Forwarded-For: {forwarded}\r\nConnection: close\r\n\r\n"
        )
        requests.append((head + body).encode())
    return requests


def client_process(host, port, requests, offset, start_at, deadline, results) -> None:
    """Send requests one after another until `deadline`; put (latencies, errors, first error)."""
    latencies: list[float] = []
    errors = 0
    first_error = ""
    number = offset
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < deadline:
        request = requests[number % len(requests)]
        number += 1
        started = time.perf_counter()
        try:
            with socket.create_connection((host, port), timeout=30) as connection:
                connection.sendall(request)
                answer = b""
                while chunk := connection.recv(4096):
                    answer += chunk
            status = answer[9:12]
        except OSError as error:
            errors += 1
            first_error = first_error or f"{type(error).__name__}: {error}"
            continue
        if status != b"204":
            errors += 1
            first_error = first_error or f"HTTP {status.decode(errors='replace')}"
            continue
        latencies.append(time.perf_counter() - started)
    results.put((latencies, errors, first_error))


class Command(BaseCommand):
    help = "Page-visit reports against w/t/visit of a CRM on 127.0.0.1: events/s, p50, p95, drain rate."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="127.0.0.1 or localhost only")
        parser.add_argument(
            "--processes", type=int, default=4, help=f"client processes (at most {MAX_CLIENTS})"
        )
        parser.add_argument("--duration", type=float, default=20, help=f"seconds (at most {MAX_DURATION})")
        parser.add_argument("--visitors", type=int, default=2000, help="known visitors (consenting people)")
        parser.add_argument(
            "--forged-every", type=int, default=10, help="every n-th event a forged token (0: none)"
        )

    def handle(self, *args, base_url, processes, duration, visitors, forged_every, **options):
        host, port = local_target(base_url)
        if not 1 <= processes <= MAX_CLIENTS or not 0 < duration <= MAX_DURATION or visitors < 1:
            raise CommandError("--processes, --duration or --visitors out of range.")
        requests = prebuilt_requests(host, port, visitor_tokens(visitors), forged_every)
        # Warm-up (workers start, scripts loaded), not measured; then an empty queue to start from.
        self.run(host, port, requests, 2, processes)
        visit_queue.visits_drain()
        stored_before = PageVisit.objects.count()
        load_before = os.getloadavg()
        wall, latencies, errors, first_error = self.run(host, port, requests, duration, processes)
        load_after = os.getloadavg()
        queued = visit_queue.queued()
        started = time.perf_counter()
        drained = visit_queue.visits_drain()
        drain_seconds = time.perf_counter() - started
        stored = PageVisit.objects.count() - stored_before
        events = len(latencies) + errors
        rows = [
            [
                "events",
                "events/s",
                "p50 ms",
                "p95 ms",
                "max ms",
                "errors",
                "queued",
                "drain events/s",
                "stored",
            ],
            [
                events,
                round(events / wall, 1),
                round(percentile(latencies, 50) * 1000, 1),
                round(percentile(latencies, 95) * 1000, 1),
                round(max(latencies, default=0) * 1000, 1),
                errors,
                queued,
                round(drained.events / drain_seconds, 1) if drain_seconds else 0,
                stored,
            ],
        ]
        self.stdout.write(f"{processes} client processes × {duration:g} s against {base_url}{PATH}")
        self.stdout.write(format_table(rows))
        self.stdout.write(
            f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min); "
            f"drain: {drained.events} events in {drained.batches} batches, {drain_seconds:.2f} s"
        )
        if first_error:
            self.stderr.write(f"first error: {first_error}")

    @staticmethod
    def run(host, port, requests, duration, processes):
        connections.close_all()  # the children never touch the database
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start_at = time.time() + 0.5
        deadline = start_at + duration
        children = [
            context.Process(
                target=client_process,
                args=(host, port, requests, index * len(requests) // processes, start_at, deadline, results),
                daemon=True,
            )
            for index in range(processes)
        ]
        for child in children:
            child.start()
        latencies: list[float] = []
        errors = 0
        first_error = ""
        for _child in children:
            part, part_errors, part_first = results.get(timeout=duration + 60)
            latencies += part
            errors += part_errors
            first_error = first_error or part_first
        for child in children:
            child.join(timeout=10)
        return duration, latencies, errors, first_error
