"""Run the whole CRM in one terminal: web server, Celery worker and Celery beat.

Migrates first and loads the demo data on the very first run. Ctrl-C stops everything.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from crm.demo import DEMO_PASSWORD, DEMO_USERS
from crm.models import User

GUNICORN_CONFIG = settings.BASE_DIR / "gunicorn.conf.py"


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
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}  # noqa: S603

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
                exited = [name for name, process in processes.items() if process.poll() is not None]
                if exited:
                    self.stderr.write(f"{', '.join(exited)} stopped; stopping the rest.")
                    break
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        return None
