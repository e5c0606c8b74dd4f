"""Run the whole CRM in one terminal: web server, Celery worker and Celery beat.

Migrates first and loads the demo data on the very first run. A process that dies is started
again after a back-off (1 s, doubling up to 30 s, back to 1 s once it has run for a minute), so a
killed worker does not take the web server down with it. Ctrl-C or SIGTERM stops everything.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from crm.demo import DEMO_PASSWORD, DEMO_USERS
from crm.models import User

GUNICORN_CONFIG = settings.BASE_DIR / "gunicorn.conf.py"
FIRST_RESTART_DELAY_SECONDS = 1.0
LONGEST_RESTART_DELAY_SECONDS = 30.0
# A process that ran this long before it died is not crash-looping: its back-off starts over.
STABLE_AFTER_SECONDS = 60.0


@dataclass
class Supervised:
    """One process of the stack, started again after a back-off whenever it exits."""

    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_delay: float = FIRST_RESTART_DELAY_SECONDS
    restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)  # noqa: S603
        self.started_at = time.monotonic()
        self.restart_at = None

    def exit_code(self) -> int | None:
        """The exit code if it exited since the last look (then it is scheduled to restart)."""
        if self.process is None or (code := self.process.poll()) is None:
            return None
        now = time.monotonic()
        if now - self.started_at >= STABLE_AFTER_SECONDS:
            self.restart_delay = FIRST_RESTART_DELAY_SECONDS
        self.process = None
        self.restart_at = now + self.restart_delay
        return code

    def restart_if_due(self) -> bool:
        if self.restart_at is None or time.monotonic() < self.restart_at:
            return False
        self.restart_delay = min(self.restart_delay * 2, LONGEST_RESTART_DELAY_SECONDS)
        self.start()
        return True


class Command(BaseCommand):
    help = "Migrate, load demo data on first run, then run gunicorn + Celery worker + beat together."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CRM_BIND", "127.0.0.1:8000"))
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data on the first run")

    def handle(self, *args, bind, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=1)
        first_run = not User.objects.exists()
        if first_run and not no_demo:
            call_command("seed_demo")
        call_command("collectstatic", interactive=False, verbosity=0)

        bin_dir = os.path.dirname(sys.executable)
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        commands = {
            # Workers, threads, recycling, access log: gunicorn.conf.py, as in production.
            "web": [os.path.join(bin_dir, "gunicorn"), "crm.wsgi", "--config", str(GUNICORN_CONFIG),
                    "--bind", bind],
            "worker": [os.path.join(bin_dir, "celery"), "-A", "crm", "worker", "--loglevel", "INFO",
                       "--concurrency", "2"],
            "beat": [os.path.join(bin_dir, "celery"), "-A", "crm", "beat", "--loglevel", "INFO",
                     "--schedule", str(settings.DATA_DIR / "celerybeat-schedule")],
        }  # fmt: skip
        stack = [Supervised(name, command) for name, command in commands.items()]
        for supervised in stack:
            supervised.start()

        self.stdout.write(self.style.SUCCESS(f"\nThe CRM runs at http://{bind}/  (Ctrl-C stops it)"))
        if User.objects.filter(username__in=[demo.username for demo in DEMO_USERS]).exists():
            logins = ", ".join(demo.username for demo in DEMO_USERS)
            self.stdout.write(f"Demo logins: {logins} — password {DEMO_PASSWORD}\n")

        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, stop)
        try:
            while not stopping:
                for supervised in stack:
                    code = supervised.exit_code()
                    if code is not None and not stopping:
                        self.stderr.write(
                            f"{supervised.name} exited with code {code}; "
                            f"restarting in {supervised.restart_delay:g} s"
                        )
                    if not stopping and supervised.restart_if_due():
                        self.stderr.write(f"{supervised.name} restarted (pid {supervised.process.pid})")
                time.sleep(0.5)
        finally:
            processes = [supervised.process for supervised in stack if supervised.process is not None]
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        return None
