"""Outgoing e-mail through the outbox: queue in the caller's transaction, deliver by Celery."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.models import OutboundEmail


def email_queue(*, recipients: list[str], subject: str, body_text: str, body_html: str = "") -> OutboundEmail:
    """Store a mail and have a worker deliver it once the caller's transaction commits."""
    from crm import tasks

    email = OutboundEmail.objects.create(
        recipients=recipients, subject=subject[:255], body_text=body_text, body_html=body_html
    )
    transaction.on_commit(lambda: tasks.email_deliver.delay(email.pk))
    return email


def email_deliver(*, email_id: int) -> bool:
    """Send one queued mail; returns False when there is nothing (left) to send.

    The row stays locked while the mail goes out, so two workers never send it twice;
    if this worker dies mid-send the transaction rolls back, the row is pending again,
    and the redelivered task (acks_late) sends it.
    """
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.recipients,
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        message.send()
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    return True


def email_record_failure(*, email_id: int, error: str, final: bool) -> None:
    """Note a failed attempt; a final failure stops the retries."""
    OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.PENDING).update(
        last_error=error[:2000],
        attempts=F("attempts") + 1,
        status=OutboundEmail.Status.FAILED if final else OutboundEmail.Status.PENDING,
    )


def stale_pending_email_ids(*, older_than_seconds: int) -> list[int]:
    """Pending mails whose task was lost (e.g. enqueued while Redis was down)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
