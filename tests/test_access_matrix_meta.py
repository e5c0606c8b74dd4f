"""The access matrix's content checks catch each kind of leak planted in tests/leaky_urls.py.

Each planted view makes its check report the leak (and the real route, checked the same way,
reports nothing): a list without `visible_to`, an autocomplete without it, a page that prints a
linked record's name without checking it, an export without it, and a POST that changes a
related row of a record the user may not edit."""

import pytest
from django.urls import reverse

from opportunities.sales.models import DealLine
from tests.access_matrix import (
    CONTENT_ROUTES,
    ListedRecords,
    ObjectRoute,
    content_world,
    hidden_name_problems,
    listed_records_problems,
    refused_post_problems,
)

pytestmark = pytest.mark.urls("tests.leaky_urls")


world = pytest.fixture(scope="module")(content_world)


@pytest.fixture
def content_records(world, db):
    return world.records


@pytest.fixture
def personas(world, db):
    """The data set's personas (this module does not use tests/conftest.py's)."""
    return world.personas


def test_the_list_check_catches_a_list_without_visible_to(client, personas, content_records):
    users = [personas.restricted]
    real = listed_records_problems(
        client, "contacts:company_list", CONTENT_ROUTES["contacts:company_list"], users, content_records
    )
    leaky = listed_records_problems(
        client, "leaky_company_list", ListedRecords("company", "links"), users, content_records
    )
    assert real == []
    assert "GET leaky_company_list as restricted shows hidden company Company-admin-token" in leaky


def test_the_list_check_catches_an_autocomplete_without_visible_to(client, personas, content_records):
    users = [personas.restricted]
    real = listed_records_problems(
        client,
        "contacts:person_autocomplete",
        CONTENT_ROUTES["contacts:person_autocomplete"],
        users,
        content_records,
    )
    leaky = listed_records_problems(
        client, "leaky_person_autocomplete", ListedRecords("person", "options"), users, content_records
    )
    assert real == []
    hidden = content_records.by_kind["person"]["admin"]
    assert f"GET leaky_person_autocomplete as restricted shows hidden person {hidden}" in leaky


def test_the_name_check_catches_a_page_that_prints_a_hidden_linked_records_name(
    client, personas, content_records
):
    deal = content_records.by_kind["deal"]["restricted"]  # with the company filed under South
    hidden = content_records.hidden_names(personas.restricted)
    urls = [("leaky_deal_company", reverse("leaky_deal_company", kwargs={"pk": deal.pk}))]
    problems = hidden_name_problems(client, personas.restricted, urls, hidden)
    company = deal.company
    assert problems == [
        f"GET leaky_deal_company as restricted names hidden company {company.pk} ({company.name})"
    ]


def test_the_list_check_catches_an_export_without_visible_to(client, personas, content_records):
    users = [personas.admin, personas.restricted]
    leaky = listed_records_problems(
        client, "leaky_lead_export", ListedRecords("lead", "names"), users, content_records
    )
    hidden = content_records.by_kind["lead"]["admin"]
    assert leaky == [
        f"GET leaky_lead_export as restricted shows hidden lead {lead}"
        for key, lead in sorted(content_records.by_kind["lead"].items(), key=lambda item: item[1].pk)
        if key not in ("restricted", "unassigned")
    ]
    assert hidden.pk


def test_the_posting_check_catches_a_post_that_changes_a_related_row(client, personas, content_records):
    route = ObjectRoute(
        "deal", "edit", "opportunities.delete_dealline", extra_kwargs={"line_pk": 999999}, method="POST"
    )
    admins_deal = {"admin": content_records.by_kind["deal"]["admin"]}
    lines = DealLine.objects.count()
    problems = refused_post_problems(
        client, "leaky_deal_line_delete", route, personas.rep_other_team, admins_deal, {}
    )
    assert problems == [
        "POST leaky_deal_line_delete as rep_other_team on admin's: 200, expected 403",
        "POST leaky_deal_line_delete as rep_other_team on admin's changed opportunities.DealLine",
        "POST leaky_deal_line_delete as rep_other_team on admin's changed crm.AuditEvent",
    ]
    assert DealLine.objects.count() == lines - 1
