import re
from datetime import timedelta
from io import StringIO

import psycopg
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from marketing.mailings import services, tracking
from marketing.mailings.models import EmailCampaign, MailEvent, Recipient
from marketing.models import ScoreEvent
from tests.crm.test_celery_worker import database_url_of_the_test_database

pytestmark = pytest.mark.django_db


def start_and_send(mailing, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(actor=actor, mailing=mailing)
    mailing.refresh_from_db()
    return mailing


def test_a_new_campaign_takes_subject_and_text_from_its_template(mailing):
    assert mailing.subject == "News for {{ contact.first_name }}"
    assert "https://example.com/pricing" in mailing.body
    assert mailing.status == EmailCampaign.Status.DRAFT


def test_a_campaign_with_an_unknown_merge_field_is_refused(personas, mailing):
    with pytest.raises(ValidationError) as error:
        services.mailing_create(
            actor=personas.manager,
            values={
                "name": "Bad",
                "campaign": mailing.campaign,
                "segment": mailing.segment,
                "subject": "Hi {{ contact.password }}",
                "body": "x",
            },
        )
    assert "subject" in error.value.message_dict
    assert EmailCampaign.objects.filter(name="Bad").count() == 0


def test_a_rep_without_the_marketing_permission_cannot_create_one(personas, mailing):
    with pytest.raises(PermissionDenied):
        services.mailing_create(actor=personas.rep, values={"name": "x"})


def test_the_audience_leaves_out_people_without_consent_address_or_who_unsubscribed(personas, mailing):
    assert services.audience(mailing, personas.manager) == {"members": 6, "reachable": 3, "excluded": 3}


def test_sending_mails_each_reachable_person_once_with_tracking_and_the_footer(
    personas, mailing, audience, django_capture_on_commit_callbacks
):
    mailing = start_and_send(mailing, personas.manager, django_capture_on_commit_callbacks)

    assert mailing.status == EmailCampaign.Status.SENT
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        audience["people"][key].email for key in ("ada", "bo", "cy")
    )
    message = next(m for m in mail.outbox if m.to == [audience["people"]["ada"].email])
    recipient = Recipient.objects.get(email_campaign=mailing, person=audience["people"]["ada"])
    assert message.subject == "News for Ada"
    assert message.from_email == "Acme AB <news@acme.example>"
    assert message.extra_headers["Message-ID"] == recipient.message_id
    assert message.extra_headers["List-Unsubscribe"] == f"<{tracking.unsubscribe_url(recipient.pk)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Hello Ada at Partner AB" in message.body
    assert "https://example.com/launch" not in message.body  # every link is tracked
    assert tracking.click_url(recipient.pk, 0) in message.body
    assert tracking.click_url(recipient.pk, 1) in message.body
    assert "Storgatan 1" in message.body and tracking.unsubscribe_url(recipient.pk) in message.body
    html = message.alternatives[0][0]
    assert tracking.open_url(recipient.pk) in html
    assert ">https://example.com/pricing</a>" in html
    assert mailing.links == ["https://example.com/launch?ref=mail", "https://example.com/pricing"]
    assert set(Recipient.objects.filter(email_campaign=mailing).values_list("status", flat=True)) == {"sent"}


def test_the_merge_escapes_values_in_the_html_part(
    personas, mailing, audience, django_capture_on_commit_callbacks
):
    ada = audience["people"]["ada"]
    type(ada).objects.filter(pk=ada.pk).update(first_name="<script>x</script>")
    start_and_send(mailing, personas.manager, django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == [ada.email])
    assert "<script>" not in message.alternatives[0][0]


def test_starting_twice_creates_no_second_recipient(personas, mailing, django_capture_on_commit_callbacks):
    start_and_send(mailing, personas.manager, django_capture_on_commit_callbacks)
    services.mailing_start(mailing_id=mailing.pk)
    with pytest.raises(ValidationError):
        services.mailing_send(actor=personas.manager, mailing=mailing)
    assert Recipient.objects.filter(email_campaign=mailing).count() == 3
    assert len(mail.outbox) == 3


def test_batches_claim_distinct_rows_and_a_second_run_sends_nothing_more(personas, mailing):
    services.mailing_send(actor=personas.manager, mailing=mailing)  # on_commit not run: no task
    assert services.send_batch(mailing_id=mailing.pk, size=2) == 2
    assert services.send_batch(mailing_id=mailing.pk, size=2) == 1
    assert services.send_batch(mailing_id=mailing.pk, size=2) == 0
    assert services.send_batch(mailing_id=mailing.pk, size=2) == 0
    assert len(mail.outbox) == 3
    assert len({m.to[0] for m in mail.outbox}) == 3
    mailing.refresh_from_db()
    assert mailing.status == EmailCampaign.Status.SENT


def test_rows_of_a_worker_that_died_go_back_to_waiting_and_keep_their_message_id(personas, mailing):
    services.mailing_send(actor=personas.manager, mailing=mailing)
    row = Recipient.objects.filter(email_campaign=mailing).first()
    Recipient.objects.filter(pk=row.pk).update(status=Recipient.Status.SENDING, claim=77, attempts=1)

    assert services.recover_abandoned(mailing.pk) == 1  # nobody holds claim 77
    row.refresh_from_db()
    assert row.status == Recipient.Status.PENDING
    services.send_batch(mailing_id=mailing.pk)
    row.refresh_from_db()
    assert row.attempts == 2
    assert any(m.extra_headers["Message-ID"] == row.message_id for m in mail.outbox)


def test_rows_of_a_live_worker_are_left_alone(personas, mailing):
    services.mailing_send(actor=personas.manager, mailing=mailing)
    row = Recipient.objects.filter(email_campaign=mailing).first()
    Recipient.objects.filter(pk=row.pk).update(status=Recipient.Status.SENDING, claim=78)
    # Another session holds the claim, as a live worker does.
    with psycopg.connect(database_url_of_the_test_database(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [services.CLAIM_LOCK_NAMESPACE, 78])
        assert services.recover_abandoned(mailing.pk) == 0
    row.refresh_from_db()
    assert row.status == Recipient.Status.SENDING
    assert services.recover_abandoned(mailing.pk) == 1  # its session ended: the worker is gone


def test_a_mail_the_backend_refuses_is_noted_and_the_others_go_out(personas, mailing, settings, monkeypatch):
    services.mailing_send(actor=personas.manager, mailing=mailing)
    from django.core.mail import EmailMultiAlternatives

    original = EmailMultiAlternatives.send

    def send(self, *args, **kwargs):
        if self.to[0].startswith(mailing.recipients.order_by("pk").first().email):
            raise OSError("mailbox full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    assert services.send_batch(mailing_id=mailing.pk) == 2
    failed = Recipient.objects.get(email_campaign=mailing, status=Recipient.Status.FAILED)
    assert "mailbox full" in failed.error
    assert services.stats(mailing)["counts"]["failed"] == 1


def test_a_scheduled_campaign_starts_when_beat_finds_it_due(
    personas, mailing, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(hours=1)
    services.mailing_send(actor=personas.manager, mailing=mailing, at=at)
    mailing.refresh_from_db()
    assert mailing.status == EmailCampaign.Status.SCHEDULED
    assert services.dispatch() == 0
    EmailCampaign.objects.filter(pk=mailing.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch()
    mailing.refresh_from_db()
    assert mailing.status == EmailCampaign.Status.SENT
    assert len(mail.outbox) == 3


def test_beat_hands_over_again_a_campaign_whose_batches_stopped(personas, mailing, monkeypatch):
    services.mailing_send(actor=personas.manager, mailing=mailing)  # the task was "lost"
    published = []
    monkeypatch.setattr(services, "publish_send", lambda pk, countdown=0: published.append(pk))
    assert services.dispatch() == 0  # just started: not stalled yet
    EmailCampaign.objects.filter(pk=mailing.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    assert services.dispatch() == 1
    assert published == [mailing.pk]


def test_a_test_mail_goes_to_the_sender_only_without_tracking(personas, mailing, audience):
    personas.manager.email = "manager@acme.example"
    personas.manager.save()
    from crm.email import email_deliver
    from crm.models import OutboundEmail

    services.mailing_test_send(actor=personas.manager, mailing=mailing)
    queued = OutboundEmail.objects.get()
    assert queued.recipients == ["manager@acme.example"]
    assert queued.subject.startswith("[Test] News for ")
    assert "https://example.com/pricing" in queued.body_text
    assert "/m/c/" not in queued.body_text
    email_deliver(email_id=queued.pk)
    assert Recipient.objects.count() == 0


def test_bounces_from_a_file_mark_the_latest_sent_mail_once(
    personas, mailing, audience, tmp_path, django_capture_on_commit_callbacks
):
    start_and_send(mailing, personas.manager, django_capture_on_commit_callbacks)
    bounces = tmp_path / "bounces.txt"
    bounces.write_text(f"{audience['people']['ada'].email.upper()}\nunknown@example.com\n")
    out = StringIO()
    call_command("mailings_bounces", str(bounces), stdout=out)
    assert out.getvalue().startswith("1 mails marked bounced")
    call_command("mailings_bounces", str(bounces), stdout=StringIO())
    assert MailEvent.objects.filter(kind=MailEvent.Kind.BOUNCED).count() == 1
    counts = services.stats(mailing)["counts"]
    assert (counts["sent"], counts["bounced"], counts["delivered"]) == (3, 1, 2)


def test_stats_count_each_kind_once_and_rate_it_on_the_delivered(
    personas, mailing, audience, django_capture_on_commit_callbacks
):
    start_and_send(mailing, personas.manager, django_capture_on_commit_callbacks)
    rows = list(Recipient.objects.filter(email_campaign=mailing).order_by("pk"))
    services.record_open(recipient_id=rows[0].pk)
    services.record_open(recipient_id=rows[0].pk)
    services.record_click(recipient_id=rows[1].pk, link=1)
    services.record_unsubscribe(recipient_id=rows[2].pk)
    result = services.stats(mailing)
    assert result["counts"] == {
        "recipients": 3, "sent": 3, "failed": 0, "bounced": 0, "opened": 2, "clicked": 1,
        "unsubscribed": 1, "delivered": 3,
    }  # fmt: skip
    assert result["rates"]["opened"] == pytest.approx(66.7)
    assert ScoreEvent.objects.filter(kind="email_opened").count() == 1


def test_links_of_a_text_are_found_in_order_without_trailing_punctuation():
    assert tracking.links_of(
        "See https://a.example/x, then (http://b.example/y?q=1). https://a.example/x"
    ) == [
        "https://a.example/x",
        "http://b.example/y?q=1",
    ]


def test_tokens_name_their_kind_and_cannot_be_altered():
    token = tracking.token(tracking.KIND_CLICK, 42, 3)
    assert tracking.read(tracking.KIND_CLICK, token) == (42, 3)
    assert tracking.read(tracking.KIND_UNSUBSCRIBE, token) is None
    altered = re.sub(r"^42", "43", token)
    assert tracking.read(tracking.KIND_CLICK, altered) is None
    assert tracking.read(tracking.KIND_OPEN, tracking.token(tracking.KIND_OPEN, 42)) == (42, None)
