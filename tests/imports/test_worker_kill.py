"""A real Celery worker SIGKILLed in the middle of a 20,000-row import, then a new one started:
every row is imported exactly once (issue 12, "Never half-done")."""

import pytest
from django.db import transaction
from django.db.models import Count

from contacts.models import Person, RequiredField
from crm.models import QueuedTask
from imports import services
from imports.models import ImportJob, ImportRow
from tests.crm.test_celery_worker import database_url_of_the_test_database
from tests.crm.test_queue_faults import OwnRedis, kill_worker, start_worker, wait_for
from tests.faults import django_env

pytestmark = [pytest.mark.fault, pytest.mark.worker]

ROWS = 20_000


@pytest.fixture
def redis_of_the_test(tmp_path):
    server = OwnRedis(tmp_path / "redis")
    server.start()
    yield server
    server.close()


def _queue_the_import(actor, redis_url: str) -> ImportJob:
    """Stage the rows and start the job, publishing its first batch to the test's own Redis."""
    from crm import outbox
    from crm.celery import app as celery_app

    text = "First name,Last name,E-mail\n" + "".join(
        f"Kill,Row {n},kill{n}@example.com\n" for n in range(ROWS)
    )
    job = services.job_create(actor=actor, kind="people", data=text.encode(), file_name="big.csv")
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = redis_url, False
    celery_app._pool = celery_app.amqp._producer_pool = None
    outbox._broker_paused_until = 0.0
    try:
        with transaction.atomic():
            services.job_start(actor=actor, job=job)
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        celery_app._pool = celery_app.amqp._producer_pool = None
    return job


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_import_leaves_every_row_imported_exactly_once(
    manager, redis_of_the_test, tmp_path
):
    RequiredField.objects.update(is_required=False)
    job = _queue_the_import(manager, redis_of_the_test.url)
    env = django_env(
        database_url_of_the_test_database(),
        tmp_path,
        REDIS_URL=redis_of_the_test.url,
        CRM_REQUEUE_EVERY_SECONDS="1",
        CRM_LOG_LEVEL="WARNING",
    )
    done = lambda: ImportJob.objects.get(pk=job.pk).rows_done  # noqa: E731
    worker = start_worker(env, tmp_path / "worker", concurrency=1)
    try:
        # A few batches done, and the next one's attempt committed ("sending"): it is running.
        batch_running = lambda: QueuedTask.objects.filter(  # noqa: E731
            function="imports.services.job_run_batch", status=QueuedTask.Status.SENDING
        ).exists()
        wait_for(lambda: done() >= 4000 and batch_running(), 120, "a batch running after a few")
        kill_worker(worker)  # the worker and its pool process, SIGKILL, most likely mid-batch
        at_kill = done()
        worker = start_worker(env, tmp_path / "worker-2", concurrency=1)
        finished = lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE  # noqa: E731
        recovery = wait_for(finished, 240, "the import finished by the new worker")
    finally:
        kill_worker(worker)
    print(f"\nworker killed at {at_kill} of {ROWS} rows; finished {recovery:.1f} s after the restart")
    assert at_kill < ROWS  # the kill came in the middle, not after the end

    job.refresh_from_db()
    assert (job.rows_done, job.created, job.updated, job.skipped, job.rejected) == (ROWS, ROWS, 0, 0, 0)
    people = Person.objects.filter(email__startswith="kill", email__endswith="@example.com")
    assert people.count() == ROWS
    assert not people.values("email").annotate(n=Count("pk")).filter(n__gt=1).exists()  # no key twice
    assert Person.history.filter(email__startswith="kill", history_type="+").count() == ROWS
    rows = ImportRow.objects.filter(job=job)
    assert rows.filter(outcome=ImportRow.Outcome.CREATED).count() == ROWS
    assert rows.values("record_id").distinct().count() == ROWS
    assert set(people.values_list("pk", flat=True)) == set(rows.values_list("record_id", flat=True))
