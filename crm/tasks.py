import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from crm import documents, email, outbox, sms
from crm.models import OutboundEmail, OutboundSms, QueuedTask

logger = logging.getLogger(__name__)

# Database and broker errors are retried by these tasks within seconds (crm.outbox.run_delivery);
# past max_retries, and for the outside world's errors, the requeue job takes over.
DELIVERY = {"bind": True, "max_retries": 8}


@shared_task(**DELIVERY)
def email_deliver(self, email_id: int) -> None:
    outbox.run_delivery(self, OutboundEmail, email_id, lambda pk: email.email_deliver(email_id=pk))


@shared_task(**DELIVERY)
def sms_deliver(self, sms_id: int) -> None:
    outbox.run_delivery(self, OutboundSms, sms_id, lambda pk: sms.sms_deliver(sms_id=pk))


@shared_task(**DELIVERY)
def queued_task_run(self, queued_id: int) -> None:
    outbox.run_delivery(self, QueuedTask, queued_id, outbox.run_queued)


@shared_task
def outbox_requeue_stalled() -> int:
    """Hand the broker again the outbox rows a fault stranded (crm.outbox.requeue_stalled)."""
    return outbox.requeue_stalled()


@shared_task
def sessions_clear_expired() -> int:
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def documents_sweep_orphans() -> int:
    """Delete document files that a rolled-back transaction left without a row (crm.documents)."""
    return documents.documents_sweep_orphans()
