"""Celery tasks of e-mail campaigns: they take ids and call marketing.mailings.services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from marketing.mailings import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=20)
def mailing_send(self, mailing_id: int) -> int:
    """Send one throttled batch, then schedule the next; safe to run twice or in parallel (each
    batch claims its own rows)."""
    try:
        sent = services.send_batch(mailing_id=mailing_id)
    except (OperationalError, InterfaceError) as error:
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 30)) from error
    if sent:
        services.publish_send(mailing_id, countdown=services.batch_pause_seconds())
    return sent


@shared_task
def mailings_dispatch() -> int:
    """Beat: start scheduled campaigns that are due; hand over again those still sending."""
    return services.dispatch()
