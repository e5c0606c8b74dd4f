from celery import shared_task

from marketing.webforms import visit_queue


@shared_task
def visits_drain() -> int:
    """Write the page visits queued by the tracking endpoint (beat, every few seconds); safe to
    run twice or at once: each queued visit is written exactly once (visit_queue)."""
    return visit_queue.visits_drain().recorded
