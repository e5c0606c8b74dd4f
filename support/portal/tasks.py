from celery import shared_task

from support.portal import auth


@shared_task(acks_late=True)
def portal_sweep() -> int:
    """Delete spent portal links and sessions (daily): the tables hold only what may still sign in."""
    return auth.sweep()
