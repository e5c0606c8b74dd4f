"""Outgoing e-mail through the outbox (crm.outbox): queued in the caller's transaction, delivered
by Celery, each mail with a Message-ID fixed when it is queued."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from crm import outbox
from crm.models import OutboundEmail


def email_queue(
    *,
    recipients: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    attachments: list[dict] | None = None,
    dedupe_key: str | None = None,
) -> OutboundEmail:
    """Store a mail and have a worker deliver it once the caller's transaction commits.

    `attachments`: [{"filename", "content" (text), "mimetype"}]. `dedupe_key`: one mail per key —
    queueing the same key again (beat firing twice, a retried task) returns the first mail."""
    if dedupe_key is not None:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    values = {
        "recipients": recipients,
        "subject": subject[:255],
        "body_text": body_text,
        "body_html": body_html,
        "attachments": attachments or [],
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        email = OutboundEmail.objects.create(**values)
    else:
        # Two workers racing on one key: the database's unique index picks one.
        email, created = OutboundEmail.objects.get_or_create(dedupe_key=dedupe_key, defaults=values)
        if not created:
            return email
    outbox.publish_on_commit(OutboundEmail, [email.pk])
    return email


def email_message(email: OutboundEmail, *, connection=None) -> EmailMultiAlternatives:
    """The message of an outbox row: the same Message-ID at every attempt."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.recipients,
        headers={"Message-ID": email.message_id},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment.get("mimetype"))
    return message


def email_deliver(*, email_id: int) -> bool:
    """Send one queued mail; False when there is nothing (left) to send (crm.outbox.deliver)."""

    def send(email: OutboundEmail) -> None:
        email_message(email, connection=get_connection(fail_silently=False)).send()

    return outbox.deliver(OutboundEmail, email_id, send)


outbox.register(OutboundEmail, task_name="crm.tasks.email_deliver", lock_namespace=1002)
