"""An e-mail campaign sent by a real Celery worker (with beat) to a real, slow SMTP server, the
worker killed mid-batch — its pool processes first, then the whole worker — and a new one started:
every recipient gets the mail, none twice except a mail cut off mid-send, repeated with the same
Message-ID (receiving servers drop it as the same message)."""

from __future__ import annotations

import contextlib
import signal
import time

import psutil
import pytest

from marketing.mailings import services
from marketing.mailings.models import EmailCampaign, Recipient
from marketing.models import Campaign, Segment
from tests.crm.test_celery_worker import database_url_of_the_test_database
from tests.crm.test_queue_faults import (
    kill_worker,
    own_redis,
    smtp_server,
    start_worker,
    wait_for,
    worker_env,
)
from tests.factories import PersonFactory

pytestmark = [pytest.mark.fault, pytest.mark.worker]
__all__ = ["own_redis"]  # a fixture


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_campaign_whose_worker_is_killed_mid_batch_reaches_everyone_once(
    own_redis, tmp_path, personas, monkeypatch
):
    count = 12
    for n in range(count):
        PersonFactory(first_name=f"P{n}", email=f"p{n}@example.com", consent_email=True)
    segment = Segment.objects.create(name="All", definition={"consent": "yes"})
    campaign = Campaign.objects.create(name="Faults", kind=Campaign.Kind.EMAIL)
    mailing = services.mailing_create(
        actor=personas.admin,
        values={
            "name": "Fault mail", "campaign": campaign, "segment": segment,
            "subject": "Hi {{ contact.first_name }}", "body": "See https://example.com/x",
        },
    )  # fmt: skip
    # The first task is "lost" on purpose: the worker's beat finds the quiet campaign and hands it over.
    monkeypatch.setattr(services, "publish_send", lambda *args, **kwargs: None)
    services.mailing_send(actor=personas.admin, mailing=mailing)
    assert Recipient.objects.filter(email_campaign=mailing).count() == count

    with smtp_server(delay=0.6) as smtp:
        env = worker_env(database_url_of_the_test_database(), own_redis, smtp, tmp_path)
        env.update(
            CRM_MAILINGS_BATCH_SIZE="4",
            CRM_MAILINGS_BATCH_PAUSE_SECONDS="0.2",
            CRM_MAILINGS_STALLED_AFTER_SECONDS="3",
            CRM_MAILINGS_DISPATCH_EVERY_SECONDS="1",
        )
        sending = lambda: Recipient.objects.filter(status=Recipient.Status.SENDING).count()  # noqa: E731
        worker = start_worker(env, tmp_path / "worker")
        try:
            wait_for(lambda: sending() >= 2 and len(smtp.message_ids()) >= 1, 90, "mails mid-batch")
            for process in psutil.Process(worker.pid).children():  # the pool processes and beat
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.send_signal(signal.SIGKILL)
            wait_for(lambda: sending() >= 1 and len(smtp.message_ids()) >= 5, 90, "more mails mid-batch")
            kill_worker(worker)
            left = Recipient.objects.exclude(status=Recipient.Status.SENT).count()
            restarted = time.monotonic()
            worker = start_worker(env, tmp_path / "worker-2")
            done = lambda: EmailCampaign.objects.get(pk=mailing.pk).status == EmailCampaign.Status.SENT  # noqa: E731
            recovery = wait_for(done, 120, "the campaign sent after the restart")
            time.sleep(2)  # a duplicate would arrive now
        finally:
            kill_worker(worker)
    received = smtp.message_ids()
    ids = set(Recipient.objects.filter(email_campaign=mailing).values_list("message_id", flat=True))
    repeated = {message_id for message_id in received if received.count(message_id) > 1}
    print(
        f"\ncampaign, worker killed mid-batch: {left} of {count} unsent at the kill, all sent"
        f" {recovery:.1f} s after the restart ({time.monotonic() - restarted - 2:.1f} s incl. start);"
        f" received {len(received)}, distinct {len(set(received))}, repeats {len(received) - len(set(received))}"
    )
    assert set(received) == ids and len(ids) == count  # everyone, nobody foreign
    assert set(Recipient.objects.filter(email_campaign=mailing).values_list("status", flat=True)) == {"sent"}
    # A repeat is only a mail cut off mid-send (its row was claimed again), with the same Message-ID.
    attempts = dict(Recipient.objects.values_list("message_id", "attempts"))
    assert all(attempts[message_id] > 1 for message_id in repeated)
