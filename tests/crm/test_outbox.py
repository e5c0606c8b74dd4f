"""The outbox (crm.outbox): mails, text messages and queued tasks are rows first; each is handed to
the broker after commit without ever failing the caller, delivered by one live worker at a time
with the attempt committed first, and requeued when a fault stranded it."""

import datetime
import socket
import time

import psycopg
import pytest
from django.core import mail
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from crm import email, outbox, sms
from crm.celery import app as celery_app
from crm.models import OutboundEmail, OutboundSms, QueuedTask
from tests.factories import UserFactory

Status = OutboundEmail.Status


class CallerFailed(RuntimeError):
    """The caller's own work failing after it queued a mail."""


def queue_mail(subject="Hi", **values) -> OutboundEmail:
    return OutboundEmail.objects.create(
        recipients=["a@example.com"], subject=subject, body_text="Hello", **values
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def forget_broker_connections() -> None:
    # Not closed: kombu keeps one producer pool per broker URL for the whole process.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    outbox._broker_paused_until = 0.0


@pytest.fixture
def broker_down(settings):
    """The Celery app publishing to a Redis port nobody listens on (and not eagerly)."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    forget_broker_connections()
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    forget_broker_connections()


@pytest.fixture
def other_connection():
    """A second database session, like another worker's."""
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k not in {"cursor_factory", "context"}}
    ) as conn:
        conn.autocommit = True
        yield conn


# Queueing


def test_a_queued_mail_is_delivered_after_commit_with_the_message_id_of_its_row(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = email.email_queue(recipients=["a@example.com"], subject="Hi", body_text="Hello")
    queued.refresh_from_db()
    assert queued.status == Status.SENT and queued.attempts == 1 and queued.published_at is not None
    assert mail.outbox[0].extra_headers["Message-ID"] == queued.message_id
    assert mail.outbox[0].message()["Message-ID"] == queued.message_id
    assert queued.message_id.endswith("@localhost>")
    assert queue_mail().message_id != queued.message_id  # one per row


def test_nothing_is_saved_or_enqueued_when_the_transaction_rolls_back(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(CallerFailed),
        transaction.atomic(),
    ):
        email.email_queue(recipients=["a@example.com"], subject="Hi", body_text="Hello")
        raise CallerFailed
    assert callbacks == []
    assert not OutboundEmail.objects.exists() and mail.outbox == []


def test_a_broker_that_is_down_costs_the_caller_nothing_and_the_row_waits(
    db, broker_down, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        queued = email.email_queue(recipients=["a@example.com"], subject="Hi", body_text="Hello")
        second = email.email_queue(recipients=["b@example.com"], subject="Hi", body_text="Hello")
    elapsed = time.monotonic() - started
    queued.refresh_from_db()
    assert (queued.status, queued.published_at, queued.attempts) == (Status.PENDING, None, 0)
    assert "could not hand outbound e-mails" in caplog.text
    assert elapsed < 2
    # The first failure pauses publishing in this process: the second mail did not wait on it.
    assert outbox.publish(OutboundEmail, [second.pk]) == 0


# Delivery


def test_delivering_twice_sends_once(db):
    queued = queue_mail()
    assert email.email_deliver(email_id=queued.pk) is True
    assert email.email_deliver(email_id=queued.pk) is False
    assert len(mail.outbox) == 1


def test_a_row_another_live_worker_holds_is_left_alone(db, other_connection):
    queued = queue_mail()
    other_connection.execute("SELECT pg_advisory_lock(%s, %s)", (1002, queued.pk))
    assert email.email_deliver(email_id=queued.pk) is False
    assert mail.outbox == []
    other_connection.execute("SELECT pg_advisory_unlock(%s, %s)", (1002, queued.pk))
    assert email.email_deliver(email_id=queued.pk) is True


def test_the_attempt_is_committed_before_the_mail_goes_out(db, monkeypatch):
    """What the SMTP server sees first is a row already marked "sending" with its attempt
    counted: a worker dying mid-send leaves a row that says the mail may have gone out."""
    queued = queue_mail()
    seen = []

    def send(message, *args, **kwargs):
        row = OutboundEmail.objects.get(pk=queued.pk)
        seen.append((row.status, row.attempts, row.attempted_at is not None))
        return 1

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", send)
    email.email_deliver(email_id=queued.pk)
    assert seen == [(Status.SENDING, 1, True)]
    queued.refresh_from_db()
    assert queued.status == Status.SENT


def test_a_refused_attempt_waits_and_then_fails_for_good(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    queued = queue_mail()
    with pytest.raises(ConnectionRefusedError):
        email.email_deliver(email_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in queued.last_error
    assert queued.retry_at > timezone.now() + datetime.timedelta(seconds=50)
    OutboundEmail.objects.filter(pk=queued.pk).update(attempts=outbox.MAX_ATTEMPTS - 1)
    with pytest.raises(ConnectionRefusedError):
        email.email_deliver(email_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.FAILED, outbox.MAX_ATTEMPTS)
    assert email.email_deliver(email_id=queued.pk) is False  # failed for good: not sent again


def test_a_mail_that_went_out_while_the_database_was_away_is_not_sent_again(db, monkeypatch):
    """The worker's advisory lock went with its lost connection, so once the database is back the
    requeue job hands the "sending" row to another worker: that one finds the first worker's note
    in Redis and marks the row sent without sending it a second time."""
    queued = queue_mail()
    note_key = outbox._sent_note_key(queued)
    outbox._redis().delete(note_key)
    real_finish = outbox._finish

    def database_away(item):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(outbox, "_finish", database_away)
    monkeypatch.setattr(outbox, "FINISH_PATIENCE_SECONDS", 0.1)
    monkeypatch.setattr(outbox.connection, "close", lambda: None)
    with pytest.raises(OperationalError):
        email.email_deliver(email_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, len(mail.outbox)) == (Status.SENDING, 1)
    assert outbox.stalled(outbox._kinds[OutboundEmail]) == [queued.pk]  # no lock: it is requeued

    monkeypatch.setattr(outbox, "_finish", real_finish)
    try:
        assert email.email_deliver(email_id=queued.pk) is False
    finally:
        outbox._redis().delete(note_key)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, len(mail.outbox)) == (Status.SENT, 1, 1)


def test_without_a_note_a_cut_off_attempt_is_sent_again_with_the_same_message_id(db):
    queued = queue_mail()
    outbox._redis().delete(outbox._sent_note_key(queued))
    OutboundEmail.objects.filter(pk=queued.pk).update(status=Status.SENDING, attempts=1)
    assert email.email_deliver(email_id=queued.pk) is True
    assert mail.outbox[0].extra_headers["Message-ID"] == queued.message_id


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (7, 60), (8, 60)])
def test_the_wait_after_a_failed_attempt_doubles_up_to_an_hour(attempts, minutes):
    assert outbox.retry_delay(attempts) == datetime.timedelta(minutes=minutes)


def test_a_text_message_goes_out_with_the_reference_of_its_row(
    db, settings, django_capture_on_commit_callbacks
):
    settings.CRM_SMS_BACKEND = "crm.sms.LocmemBackend"
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queued = sms.sms_queue_many([("+46701234567", "Hello"), ("+46701234568", "Hello")])
    assert [(m.to, m.reference) for m in sms.outbox] == [(row.to, str(row.reference)) for row in queued]
    assert set(OutboundSms.objects.values_list("status", flat=True)) == {Status.SENT}
    assert sms.sms_deliver(sms_id=queued[0].pk) is False
    assert len(sms.outbox) == 2
    sms.outbox.clear()


# Queued tasks


@outbox.queueable
def make_user_then_maybe_fail(*, username: str, fail: bool = False) -> None:
    UserFactory(username=username)
    if fail:
        raise CallerFailed("after the write")


def test_a_queued_task_runs_once_and_its_row_goes_with_it(db, django_capture_on_commit_callbacks):
    from crm.models import User

    with django_capture_on_commit_callbacks(execute=False):
        queued = outbox.enqueue(make_user_then_maybe_fail, username="queued")
    assert QueuedTask.objects.get().kwargs == {"username": "queued"}
    assert outbox.run_queued(queued.pk) is True
    assert outbox.run_queued(queued.pk) is False
    assert User.objects.filter(username="queued").count() == 1
    assert not QueuedTask.objects.exists()


def test_a_failing_queued_task_leaves_none_of_its_writes_and_waits_for_a_retry(db):
    from crm.models import User

    queued = outbox.enqueue(make_user_then_maybe_fail, username="half", fail=True)
    with pytest.raises(CallerFailed):
        outbox.run_queued(queued.pk)
    queued.refresh_from_db()
    assert not User.objects.filter(username="half").exists()
    assert (queued.status, queued.attempts) == (Status.PENDING, 1)
    assert "after the write" in queued.last_error


def test_a_database_error_of_the_task_itself_is_its_own_failure_not_an_outage(db):
    @outbox.queueable
    def break_a_rule() -> None:
        raise IntegrityError("duplicate key")

    queued = outbox.enqueue(break_a_rule)
    with pytest.raises(IntegrityError):
        outbox.run_queued(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.PENDING and "duplicate key" in queued.last_error


def test_only_marked_functions_can_be_queued(db):
    with pytest.raises(ValueError, match="not marked @queueable"):
        outbox.enqueue(UserFactory, username="x")
    assert not QueuedTask.objects.exists()


# Recovery


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


class Before(datetime.timedelta):
    """A time as "this long before the test runs": parameters are built at collection, which
    can be minutes before the test runs."""


def before(**delta) -> Before:
    return Before(**delta)


@pytest.mark.parametrize(
    ("row", "stranded"),
    [
        ({"created_at": before(seconds=30)}, True),  # never reached the broker
        ({}, False),  # the committing request is still handing it over
        (
            {"created_at": before(minutes=5), "published_at": before(seconds=30)},
            False,
        ),  # waiting in the queue
        ({"created_at": before(minutes=5), "published_at": before(minutes=3)}, True),  # the broker lost it
        ({"status": Status.SENDING, "attempts": 1, "published_at": before(seconds=5)}, True),  # worker died
        (
            {
                "status": Status.PENDING,
                "attempts": 1,
                "published_at": before(seconds=5),
                "retry_at": before(seconds=1),
            },
            True,
        ),
        (
            {
                "status": Status.PENDING,
                "attempts": 1,
                "published_at": before(seconds=5),
                "retry_at": before(seconds=-60),
            },
            False,
        ),  # a failed attempt waiting for its retry time
        ({"status": Status.SENT, "created_at": before(hours=1)}, False),
        ({"status": Status.FAILED, "created_at": before(hours=1)}, False),
    ],
)
def test_the_requeue_job_finds_what_a_fault_stranded(db, row, stranded):
    now = timezone.now()
    queued = queue_mail(
        **{name: now - value if isinstance(value, Before) else value for name, value in row.items()}
    )
    kind = next(kind for kind in outbox.kinds() if kind.model is OutboundEmail)
    assert outbox.stalled(kind) == ([queued.pk] if stranded else [])


def test_a_row_a_live_worker_holds_is_not_requeued(db, other_connection):
    queued = queue_mail(status=Status.SENDING, attempts=1, published_at=ago(seconds=5))
    kind = next(kind for kind in outbox.kinds() if kind.model is OutboundEmail)
    other_connection.execute("SELECT pg_advisory_lock(%s, %s)", (kind.lock_namespace, queued.pk))
    assert outbox.stalled(kind) == []
    other_connection.execute("SELECT pg_advisory_unlock(%s, %s)", (kind.lock_namespace, queued.pk))
    assert outbox.stalled(kind) == [queued.pk]


def test_each_requeue_of_a_row_waits_twice_as_long(db, monkeypatch):
    published = []
    monkeypatch.setattr(outbox, "publish", lambda model, pks, retry: published.extend(pks) or len(pks))
    queued = queue_mail(created_at=ago(minutes=1))
    waits = []
    for _round in range(3):
        before = timezone.now()
        assert outbox.requeue_stalled() == 1
        queued.refresh_from_db()
        waits.append(round((queued.retry_at - before).total_seconds() / 60))
        OutboundEmail.objects.filter(pk=queued.pk).update(retry_at=ago(seconds=1))
    assert waits == [1, 2, 4] and queued.requeued == 3
    assert published == [queued.pk] * 3


def test_a_message_the_broker_lost_is_requeued_soon_when_its_queue_is_empty(db):
    """A Redis restarted without its data, or a worker killed with the message reserved: the row
    was handed over and never started. An empty queue cannot still hold it."""
    queued = queue_mail(created_at=ago(minutes=1), published_at=ago(seconds=15))
    kind = next(kind for kind in outbox.kinds() if kind.model is OutboundEmail)
    assert outbox.stalled(kind, queue_is_empty=False) == []
    assert outbox.stalled(kind, queue_is_empty=True) == [queued.pk]


def test_one_mail_per_dedupe_key_and_attachments_go_out(db, django_capture_on_commit_callbacks):
    invite = {
        "filename": "invite.ics",
        "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        "mimetype": "text/calendar",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = email.email_queue(
            recipients=["a@example.com"],
            subject="Invite",
            body_text="x",
            attachments=[invite],
            dedupe_key="k1",
        )
        again = email.email_queue(
            recipients=["a@example.com"], subject="Invite", body_text="x", dedupe_key="k1"
        )
    assert again.pk == first.pk and OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments == [("invite.ics", invite["content"], "text/calendar")]
