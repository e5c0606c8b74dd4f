from celery import shared_task

from marketing import services


@shared_task
def scores_decay() -> int:
    """Fade scores by the settings' monthly percentage (marketing.services.scores_decay); run
    daily, it decays once per 30 days elapsed, and twice-fired runs decay once."""
    return services.scores_decay()
