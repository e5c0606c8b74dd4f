"""Outgoing text messages (SMS) through a pluggable backend, like Django's e-mail backends.

``settings.CRM_SMS_BACKEND`` names the backend class (default ``crm.sms.LogBackend``, which
only logs each message). A gateway backend is a class with ``send(*, to, body)`` that raises
``SmsError`` when the gateway refuses a message. ``LocmemBackend`` keeps messages in
``crm.sms.outbox`` for tests.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "crm.sms.LogBackend"
logger = logging.getLogger("crm.sms")


class SmsError(Exception):
    """The backend could not send the message."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class LogBackend:
    """Writes each message to the "crm.sms" log instead of sending it (the default)."""

    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


class ConsoleBackend:
    """Prints each message to standard output (for a developer's terminal)."""

    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")


outbox: list[SmsMessage] = []


class LocmemBackend:
    """Keeps each message in `crm.sms.outbox`, for tests."""

    def send(self, *, to: str, body: str) -> None:
        outbox.append(SmsMessage(to=to, body=body))


def get_backend():
    """An instance of the configured backend."""
    return import_string(getattr(settings, "CRM_SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(*, to: str, body: str, backend=None) -> None:
    """Send one text message to the phone number `to` (E.164, e.g. +46701234567)."""
    (backend or get_backend()).send(to=to, body=body)
