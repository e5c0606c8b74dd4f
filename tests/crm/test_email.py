import pytest
from django.core import mail
from django.db import transaction

from crm import email as outbox
from crm.models import OutboundEmail


def test_delivering_twice_sends_once(db):
    queued = OutboundEmail.objects.create(recipients=["a@example.com"], subject="Hi", body_text="Hello")
    assert outbox.email_deliver(email_id=queued.pk) is True
    assert outbox.email_deliver(email_id=queued.pk) is False
    assert len(mail.outbox) == 1


class CallerFailed(RuntimeError):
    """The caller's own work failing after it queued a mail."""


@pytest.fixture
def enqueued(monkeypatch):
    from crm import tasks

    sent_to_the_broker = []
    monkeypatch.setattr(tasks.email_deliver, "delay", sent_to_the_broker.append)
    return sent_to_the_broker


def test_a_queued_mail_goes_to_the_broker_when_the_transaction_commits(
    db, django_capture_on_commit_callbacks, enqueued
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = outbox.email_queue(recipients=["a@example.com"], subject="Hi", body_text="Hello")
    assert enqueued == [queued.pk]


def test_nothing_is_saved_or_enqueued_when_the_transaction_rolls_back(
    db, django_capture_on_commit_callbacks, enqueued
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(CallerFailed),
        transaction.atomic(),
    ):
        outbox.email_queue(recipients=["a@example.com"], subject="Hi", body_text="Hello")
        raise CallerFailed
    assert callbacks == []
    assert enqueued == []
    assert not OutboundEmail.objects.exists()


def test_a_failed_attempt_keeps_the_mail_pending_for_a_retry(db):
    queued = OutboundEmail.objects.create(recipients=["a@example.com"], subject="Hi", body_text="Hello")
    outbox.email_record_failure(email_id=queued.pk, error="SMTP down", final=False)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == ("pending", 1, "SMTP down")


def test_stale_pending_mails_are_found_for_requeueing(db):
    from django.utils import timezone

    old = OutboundEmail.objects.create(
        recipients=["a@example.com"],
        subject="Old",
        body_text="x",
        created_at=timezone.now() - timezone.timedelta(hours=1),
    )
    OutboundEmail.objects.create(recipients=["a@example.com"], subject="New", body_text="x")
    assert outbox.stale_pending_email_ids(older_than_seconds=600) == [old.pk]
