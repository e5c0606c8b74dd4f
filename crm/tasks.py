import logging
import smtplib

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from crm import documents, email, password_reset

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def email_deliver(self, email_id: int) -> None:
    try:
        email.email_deliver(email_id=email_id)
    except (smtplib.SMTPException, OSError) as error:
        final = self.request.retries >= self.max_retries
        email.email_record_failure(email_id=email_id, error=str(error), final=final)
        if not final:
            raise self.retry(exc=error) from error
        logger.error("giving up on e-mail %s: %s", email_id, error)


@shared_task
def email_requeue_stale() -> int:
    """Re-enqueue pending mails older than ten minutes; delivery is idempotent."""
    ids = email.stale_pending_email_ids(older_than_seconds=600)
    for email_id in ids:
        email_deliver.delay(email_id)
    return len(ids)


@shared_task
def password_reset_send(*, address: str, domain: str, use_https: bool, language: str | None = None) -> None:
    """The lookup and mail of a password reset, kept out of the request (crm.password_reset)."""
    password_reset.password_reset_send(address=address, domain=domain, use_https=use_https, language=language)


@shared_task
def sessions_clear_expired() -> int:
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def documents_sweep_orphans() -> int:
    """Delete document files that a rolled-back transaction left without a row (crm.documents)."""
    return documents.documents_sweep_orphans()
