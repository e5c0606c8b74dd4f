"""Customer service's periodic work (CELERY_BEAT_SCHEDULE, crm/settings.py): the SLA breach scan
every minute and the contract reminders once a day. Both are safe to run twice or at once."""

from celery import shared_task

from support import contracts, sla


@shared_task(acks_late=True)
def breaches_escalate() -> dict:
    """Escalate each SLA breach once (support.sla.breaches_escalate)."""
    return sla.breaches_escalate()


@shared_task(acks_late=True)
def contracts_remind() -> int:
    """The owners' to-dos before their contracts end (support.contracts.contracts_remind)."""
    return contracts.contracts_remind()


@shared_task(acks_late=True)
def policy_recompute_open_tickets(policy_id: int) -> int:
    """The open tickets of a policy take due times from its current settings (support.setup)."""
    from support import setup

    return setup.policy_recompute_open_tickets(policy_id=policy_id)
