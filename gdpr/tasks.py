from celery import shared_task

from gdpr import exports, services


@shared_task(acks_late=True)
def retention_anonymise() -> int:
    """The nightly retention job (gdpr.services.retention_anonymise): idempotent, batched."""
    return services.retention_anonymise()


@shared_task(acks_late=True)
def exports_sweep_orphans() -> int:
    """Daily: export files left behind by a build that was rolled back (gdpr.exports)."""
    return exports.exports_sweep_orphans()
