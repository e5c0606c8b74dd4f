"""Concurrent load against a running CRM on this machine: requests/s and latency per page.

``manage.py load_test /contacts/companies/ /deals/ --clients 20 --duration 30`` logs in a
Sales rep and an Administrator (one session per client, written straight into the session
table, so bench users with unusable passwords work too), then for each user and each URL runs
``--clients`` threads for ``--duration`` seconds, each on its own keep-alive connection, and
prints requests, requests/s, p50, p95, max and errors (answers other than 200, and exceptions).

It talks to 127.0.0.1 / localhost / ::1 only and refuses any other host: it is a measuring
tool for your own server, not a load generator for someone else's. Duration and clients are
capped. The sessions it made are deleted at the end. ``make load`` starts gunicorn with the
production settings (gunicorn.conf.py) on a seeded data dir and runs it (scripts/load.sh).

The client runs on the same cores as the server: its own CPU time is printed, and so is the
load average, because figures taken on a busy machine are not comparable with quiet ones.
"""

from __future__ import annotations

import http.client
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError

from crm.bench import format_table
from crm.models import Role, User

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_DURATION = 300
MAX_CLIENTS = 200
DEFAULT_URLS = ["/contacts/companies/", "/deals/"]
ROLES = {
    "rep": Role.NORMAL_USER,
    "admin": Role.ADMINISTRATOR,
    "manager": Role.MANAGER,
    "restricted": Role.RESTRICTED,
}
BACKEND = "crm.auth_backends.RoleBackend"


def local_target(base_url: str) -> tuple[str, int]:
    """(host, port) of `base_url`, which must be plain HTTP on this machine."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise CommandError(f"{base_url!r}: load tests run against http://127.0.0.1 or http://localhost only.")
    return parts.hostname, parts.port or 80


def session_for(user: User) -> str:
    """A new logged-in session for `user`, as django.contrib.auth.login() would store it."""
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def user_with_role(role: Role) -> User:
    user = (
        User.objects.filter(is_active=True, groups__name=role.value, is_superuser=False)
        .order_by("username")
        .first()
    )
    if user is None:
        raise CommandError(f"No active user has the role {role.label}: seed the data first.")
    return user


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str = "") -> None:
        with self.lock:
            if error:
                self.errors += 1
                self.first_error = self.first_error or error
            else:
                self.latencies.append(seconds)


def client_loop(host: str, port: int, path: str, cookie: str, deadline: float, tally: Tally) -> None:
    """GET `path` again and again on one keep-alive connection until `deadline`."""
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    headers = {"Cookie": cookie, "Host": netloc, "Accept": "text/html"}
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()  # reconnects on the next request
                tally.add(0, f"{type(error).__name__}: {error}")
                continue
            elapsed = time.perf_counter() - started
            if response.status == 200:
                tally.add(elapsed)
            else:
                tally.add(elapsed, f"HTTP {response.status} {response.getheader('Location', '')}".strip())
    finally:
        connection.close()


def run_clients(host: str, port: int, path: str, cookies: list[str], deadline: float, tally: Tally) -> None:
    threads = [
        threading.Thread(target=client_loop, args=(host, port, path, cookie, deadline, tally), daemon=True)
        for cookie in cookies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0, deadline - time.monotonic()) + 60)


def run_scenario(
    host: str, port: int, path: str, cookies: list[str], duration: float, warmup: float = 2
) -> tuple[Tally, float]:
    """`len(cookies)` clients on `path` for `duration` seconds after `warmup` untimed seconds
    (worker start-up and cold caches are not measured); returns the tally and the wall time."""
    if warmup > 0:
        run_clients(host, port, path, cookies, time.monotonic() + warmup, Tally())
    tally = Tally()
    started = time.monotonic()
    run_clients(host, port, path, cookies, started + duration, tally)
    return tally, time.monotonic() - started


def percentile(samples: list[float], percent: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


class Command(BaseCommand):
    help = "N concurrent logged-in clients against a CRM on 127.0.0.1 for a bounded time; req/s and latency."

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="*", default=DEFAULT_URLS, help="paths to load (the two lists)")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="127.0.0.1 or localhost only")
        parser.add_argument(
            "--clients", type=int, default=20, help=f"concurrent clients (20, at most {MAX_CLIENTS})"
        )
        parser.add_argument(
            "--duration",
            type=float,
            default=30,
            help=f"seconds per URL and user (30, at most {MAX_DURATION})",
        )
        parser.add_argument(
            "--as",
            dest="roles",
            default="rep,admin",
            help=f"comma-separated roles, each measured on its own: {', '.join(ROLES)} (rep,admin)",
        )
        parser.add_argument(
            "--warmup", type=float, default=2, help="untimed seconds before each row (2, at most 30)"
        )
        parser.add_argument(
            "--user", action="append", default=[], help="a username instead of --as (repeatable)"
        )

    def handle(self, *args, urls, base_url, clients, duration, roles, user, warmup, **options):
        host, port = local_target(base_url)
        if not 1 <= clients <= MAX_CLIENTS:
            raise CommandError(f"--clients must be between 1 and {MAX_CLIENTS}.")
        if not 0 < duration <= MAX_DURATION:
            raise CommandError(f"--duration must be above 0 and at most {MAX_DURATION} s.")
        if not 0 <= warmup <= 30:
            raise CommandError("--warmup must be between 0 and 30 s.")
        for url in urls:
            if not url.startswith("/"):
                raise CommandError(f"{url!r}: give paths (/deals/), the host comes from --base-url.")
        users = self.users(roles, user)

        session_keys: list[str] = []
        rows = [["user", "url", "requests", "req/s", "p50 ms", "p95 ms", "max ms", "errors"]]
        first_errors = []
        cpu_started = time.process_time()
        self.stdout.write(
            f"{clients} clients × {duration:g} s per row against {base_url}; "
            f"load average before: {self.loadavg()}"
        )
        try:
            for account in users:
                keys = [session_for(account) for _ in range(clients)]
                session_keys.extend(keys)
                cookies = [f"{settings.SESSION_COOKIE_NAME}={key}" for key in keys]
                for url in urls:
                    tally, wall = run_scenario(host, port, url, cookies, duration, warmup)
                    done = tally.latencies
                    rows.append(
                        [
                            f"{account.username} ({account.role.label})",
                            url,
                            len(done) + tally.errors,
                            round((len(done) + tally.errors) / wall, 1),
                            round(percentile(done, 50) * 1000, 1),
                            round(percentile(done, 95) * 1000, 1),
                            round(max(done, default=0) * 1000, 1),
                            tally.errors,
                        ]
                    )
                    if tally.first_error:
                        first_errors.append(f"{account.username} {url}: {tally.first_error}")
                    self.stdout.write(f"  {account.username} {url}: {rows[-1][3]} req/s")
        finally:
            SessionStore.get_model_class().objects.filter(session_key__in=session_keys).delete()
        self.stdout.write("")
        self.stdout.write(format_table(rows))
        self.stdout.write("")
        self.stdout.write(
            f"load average after: {self.loadavg()}; this client used "
            f"{time.process_time() - cpu_started:.1f} s of CPU"
        )
        for line in first_errors:
            self.stderr.write(f"first error: {line}")
        if first_errors:
            raise CommandError("some requests failed")

    def users(self, roles: str, usernames: list[str]) -> list[User]:
        if usernames:
            found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
            missing = [name for name in usernames if name not in found]
            if missing:
                raise CommandError(f"No active user named {', '.join(missing)}.")
            return [found[name] for name in usernames]
        chosen = []
        for name in filter(None, (part.strip() for part in roles.split(","))):
            if name not in ROLES:
                raise CommandError(f"--as {name!r}: choose from {', '.join(ROLES)}.")
            chosen.append(user_with_role(ROLES[name]))
        return chosen

    @staticmethod
    def loadavg() -> str:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
