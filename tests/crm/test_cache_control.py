"""What a signed-in user is shown is never kept by a shared proxy or the browser's disk cache
(crm.middleware.PrivateCacheControlMiddleware)."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from opportunities.models import Pipeline
from tests.factories import CompanyFactory

PRIVATE = "private, no-store"


def test_a_signed_in_page_is_private_and_not_stored(client, rep):
    CompanyFactory(owner=rep)
    client.force_login(rep)
    response = client.get(reverse("contacts:company_list"))
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_is_private_and_not_stored(client, manager, file_format):
    CompanyFactory(owner=manager)
    client.force_login(manager)
    response = client.get(reverse("contacts:company_export", kwargs={"file_format": file_format}))
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_an_htmx_partial_is_private_and_not_stored(client, rep):
    pipeline = Pipeline.objects.get(name="Classic")
    client.force_login(rep)
    url = reverse("opportunities:board") + "?" + urlencode({"pipeline": pipeline.pk, "period": "any"})
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert response["Cache-Control"] == PRIVATE


def test_a_view_that_sets_its_own_cache_control_keeps_it(client, admin):
    client.force_login(admin)
    response = client.get(reverse("admin:index"))  # Django admin marks its pages never_cache
    assert response.status_code == 200
    assert "max-age=0" in response["Cache-Control"]


def test_public_pages_for_anonymous_visitors_are_left_to_their_views(client, db):
    response = client.get(reverse("password_reset_done"))
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")
