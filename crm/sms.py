"""Outgoing text messages (SMS): queued in the outbox (crm.outbox), sent by Celery through a
pluggable backend, like Django's e-mail backends.

``settings.CRM_SMS_BACKEND`` names the backend class (default ``crm.sms.LogBackend``, which
only logs each message). A gateway backend is a class with ``send(*, to, body, reference)`` that
raises ``SmsError`` when the gateway refuses a message; ``reference`` is fixed per queued message,
for gateways that drop a repeat of the same client reference (a retry after a crash).
``LocmemBackend`` keeps messages in ``crm.sms.outbox`` for tests.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from crm import outbox as queue
from crm.models import OutboundSms

DEFAULT_BACKEND = "crm.sms.LogBackend"
logger = logging.getLogger("crm.sms")


class SmsError(Exception):
    """The backend could not send the message."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    reference: str = ""


class LogBackend:
    """Writes each message to the "crm.sms" log instead of sending it (the default)."""

    def send(self, *, to: str, body: str, reference: str = "") -> None:
        logger.info("SMS to %s: %s", to, body)


class ConsoleBackend:
    """Prints each message to standard output (for a developer's terminal)."""

    def send(self, *, to: str, body: str, reference: str = "") -> None:
        sys.stdout.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")


outbox: list[SmsMessage] = []


class LocmemBackend:
    """Keeps each message in `crm.sms.outbox`, for tests."""

    def send(self, *, to: str, body: str, reference: str = "") -> None:
        outbox.append(SmsMessage(to=to, body=body, reference=reference))


def get_backend():
    """An instance of the configured backend."""
    return import_string(getattr(settings, "CRM_SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(*, to: str, body: str, reference: str = "", backend=None) -> None:
    """Send one text message to the phone number `to` (E.164, e.g. +46701234567) now."""
    (backend or get_backend()).send(to=to, body=body, reference=reference)


def sms_queue_many(messages: list[tuple[str, str]]) -> list[OutboundSms]:
    """Queue (to, body) text messages; a worker sends them once the caller's transaction commits."""
    queued = OutboundSms.objects.bulk_create([OutboundSms(to=to, body=body) for to, body in messages])
    queue.publish_on_commit(OutboundSms, [sms.pk for sms in queued])
    return queued


def sms_deliver(*, sms_id: int) -> bool:
    """Send one queued text message; False when there is nothing (left) to send."""

    def send(sms: OutboundSms) -> None:
        send_sms(to=sms.to, body=sms.body, reference=str(sms.reference))

    return queue.deliver(OutboundSms, sms_id, send)


queue.register(OutboundSms, task_name="crm.tasks.sms_deliver", lock_namespace=1003)
