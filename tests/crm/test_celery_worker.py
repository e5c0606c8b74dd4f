"""A real Celery worker on the real (embedded) Redis and the test database: no eager mode."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from crm.celery import app as celery_app
from crm.email import email_queue
from crm.models import OutboundEmail

PROJECT_DIR = Path(__file__).resolve().parents[2]


def database_url_of_the_test_database() -> str:
    db = connection.settings_dict
    if db["HOST"].startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={db['HOST']}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(tmp_path):
    """A worker process consuming a queue of its own, and this process publishing to it."""
    queue = f"test-{uuid.uuid4().hex}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": database_url_of_the_test_database(),
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"filemail:///{tmp_path}",  # environ drops one slash
    }
    environment.pop("CELERY_TASK_ALWAYS_EAGER", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=PROJECT_DIR, env=environment,
    )  # fmt: skip
    eager, default_queue = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield tmp_path
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.task_default_queue = default_queue
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_delivers_a_queued_email(worker_queue):
    email = email_queue(recipients=["ada@example.com"], subject="Your quote", body_text="Attached.")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status == OutboundEmail.Status.SENT:
            break
        time.sleep(0.25)

    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    written = "".join(path.read_text() for path in worker_queue.iterdir())
    assert "Subject: Your quote" in written
    assert "To: ada@example.com" in written
