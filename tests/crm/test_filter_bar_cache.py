"""The lists' filter bar is rendered once per query string, language and export permission and
kept per process until a watched table changes ({% filter_bar %}, crm.lookup_cache)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from contacts.models import Sector
from crm import lookup_cache
from crm.models import SearchField
from tests.factories import CompanyFactory

COMPANIES = reverse("contacts:company_list")


def filter_bar(client, query: str = "") -> str:
    page = client.get(f"{COMPANIES}?{query}").content.decode()
    return re.search(r'<form method="get"[^>]*data-testid="filter-bar">.*?</form>', page, re.S).group(0)


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


def test_the_kept_bar_is_the_bar_rendered_afresh(rep_client, monkeypatch):
    kept = [filter_bar(rep_client, "q=acme&status="), filter_bar(rep_client, "q=acme&status=")]
    monkeypatch.setattr(type(rep_client.get(COMPANIES).context["filter"]), "rendering_key", lambda self: None)
    assert kept[0] == kept[1] == filter_bar(rep_client, "q=acme&status=")


def test_each_query_string_has_its_own_bar(rep_client):
    assert 'value="first term"' in filter_bar(rep_client, "q=first+term")
    second = filter_bar(rep_client, "q=second+term")
    assert 'value="second term"' in second and "first term" not in second
    assert "second term" not in filter_bar(rep_client)


def test_a_new_option_shows_on_the_next_request(rep_client):
    assert "Kept-sector" not in filter_bar(rep_client)
    Sector.objects.create(name="Kept-sector")
    assert "Kept-sector" in filter_bar(rep_client)


def test_the_export_buttons_follow_whoever_asks(client, manager, rep):
    client.force_login(manager)
    assert "XLSX" in filter_bar(client, "q=x")
    client.force_login(rep)
    assert "XLSX" not in filter_bar(client, "q=x")


def test_each_language_has_its_own_bar(rep_client, rep):
    english = filter_bar(rep_client)
    with translation.override("sv"):
        rep_client.cookies["django_language"] = "sv"
        swedish = filter_bar(rep_client)
    assert english != swedish and "Filter" in english


def test_a_dropdown_of_the_records_own_values_is_never_kept(rep_client):
    """A configured dropdown of existing e-mail domains reads the companies themselves, which no
    trigger watches: that bar is rendered on every request."""
    SearchField.objects.create(list_name="companies", field_name="email_domain", mode="dropdown")
    assert "new-domain.example" not in filter_bar(rep_client)
    CompanyFactory(email_domain="new-domain.example")
    assert "new-domain.example" in filter_bar(rep_client)


def test_the_process_keeps_a_bounded_number_of_bars(rep_client, monkeypatch):
    monkeypatch.setattr(lookup_cache._fragments, "max_values", 3)
    for number in range(6):
        filter_bar(rep_client, f"q=term{number}")
    assert 0 < len(lookup_cache._fragments.values) <= 3
