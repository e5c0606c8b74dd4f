from celery import shared_task

from activities import reminders


@shared_task
def reminders_send() -> int:
    """Queue each user's daily digest of due and overdue to-dos (activities.reminders); safe to
    run twice or concurrently: one mail per user per day."""
    return reminders.reminders_send()
