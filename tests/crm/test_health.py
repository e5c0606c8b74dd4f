from django.db.utils import OperationalError
from django.urls import reverse

from crm import health


def test_healthz_reports_both_services_up(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_answers_503_when_redis_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "redis": "down"}


def test_healthz_answers_503_when_the_database_is_down(client, db, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(health.connection, "cursor", refuse)
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "down"
