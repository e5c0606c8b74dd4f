import uuid

import pytest
from django.core.cache import cache

from marketing.webforms import visit_queue
from marketing.webforms.models import WebForm

FIELDS = [
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "email", "required": True},
    {"name": "company_name", "required": False},
    {"name": "message", "required": False},
    {"name": "consent", "required": False},
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and the cached page patterns live in the cache: each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _own_visit_queue(monkeypatch):
    """The queued visits and the endpoint's rate counters live in the test run's Redis: each
    test has keys of its own (tests run in parallel), removed afterwards."""
    prefix = f"{{test-visits-{uuid.uuid4().hex}}}"
    monkeypatch.setattr(visit_queue, "PREFIX", prefix)
    yield
    redis_client = visit_queue.client()
    keys = list(redis_client.scan_iter(match=f"{prefix}*"))
    if keys:
        redis_client.delete(*keys)


def drain():
    """Write what the endpoint queued (the Celery beat job in production)."""
    return visit_queue.visits_drain()


@pytest.fixture
def web_form(personas):
    return WebForm.objects.create(
        name="Contact us",
        fields=FIELDS,
        owner=personas.manager,
        notify_seller=False,
        thank_you_text="Thanks, we will call you.",
    )
