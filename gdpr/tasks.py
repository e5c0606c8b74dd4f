from celery import shared_task

from gdpr import services


@shared_task(acks_late=True)
def retention_anonymise() -> int:
    """The nightly retention job (gdpr.services.retention_anonymise): idempotent, batched."""
    return services.retention_anonymise()
