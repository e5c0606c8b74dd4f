"""A real Celery worker on the real (embedded) Redis and the test database: no eager mode."""

import contextlib
import os
import signal
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


def start_worker(queue: str, mail_folder: Path, *options: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": database_url_of_the_test_database(),
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"filemail:///{mail_folder}",  # environ drops one slash
    }
    environment.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", *options],
        cwd=PROJECT_DIR, env=environment,
    )  # fmt: skip


@contextlib.contextmanager
def publishing_to(queue: str):
    eager, default_queue = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.task_default_queue = default_queue


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=30)


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def worker_queue(tmp_path):
    """A worker process consuming a queue of its own, and this process publishing to it."""
    queue = f"test-{uuid.uuid4().hex}"
    worker = start_worker(queue, tmp_path, "--pool", "solo")
    try:
        with publishing_to(queue):
            yield tmp_path
    finally:
        stop(worker)


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


@pytest.mark.worker
def test_a_task_whose_worker_process_dies_is_delivered_again(tmp_path):
    """acks_late + reject_on_worker_lost: the broker keeps the message until the task finishes, and a
    killed pool process puts it back on the queue instead of losing it."""
    queue = f"test-{uuid.uuid4().hex}"
    attempts = tmp_path / "attempts"
    attempts.mkdir()
    worker = start_worker(
        queue, tmp_path, "--pool", "prefork", "--concurrency", "1", "--include", "tests.crm.worker_tasks"
    )
    try:
        with publishing_to(queue):
            celery_app.send_task("tests.note_attempt_and_hold_the_first", args=[str(attempts)])
        first = attempts / "attempt-1"
        assert wait_for(lambda: first.exists() and first.read_text()), "the worker never started the task"
        os.kill(int(first.read_text()), signal.SIGKILL)

        again = attempts / "attempt-2"
        assert wait_for(lambda: again.exists() and again.read_text()), (
            "the task was lost with the process that ran it"
        )
        assert again.read_text() != first.read_text()  # a new pool process ran it
    finally:
        stop(worker)
