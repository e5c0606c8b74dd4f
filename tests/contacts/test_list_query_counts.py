"""Lists run a fixed number of queries whatever the number of rows they show."""

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, LeadFactory, PersonFactory


@pytest.mark.parametrize("rows", [1, 50])
def test_people_list_query_count_does_not_grow_with_the_rows(
    client, rep, personas, rows, django_assert_num_queries
):
    company = CompanyFactory(owner=rep)
    PersonFactory.create_batch(rows, owner=rep, company=company)
    client.force_login(rep)
    url = reverse("contacts:person_list")
    client.get(url)
    # the lookup and identity generations (crm.lookup_cache keeps the session, the user with its
    # role groups, the org setting, search configuration, custom fields, dropdowns and
    # permissions), page ids, page rows, capped count
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_leads_list_query_count_does_not_grow_with_the_rows(
    client, rep, personas, rows, django_assert_num_queries
):
    LeadFactory.create_batch(rows, owner=rep)
    client.force_login(rep)
    url = reverse("leads:lead_list")
    client.get(url)
    # the generations (session and user kept), page ids, page rows, capped count
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 30])
def test_customer_card_query_count_does_not_grow_with_its_people(
    client, rep, rows, django_assert_num_queries
):
    company = CompanyFactory(owner=rep)
    PersonFactory.create_batch(rows, owner=rep, company=company)
    client.force_login(rep)
    url = reverse("contacts:company_detail", args=[company.pk])
    client.get(url)
    # The org setting, the permissions and the card's select options are kept by crm.lookup_cache
    # (one generation query a request) however many sections check visibility; the user comes
    # with its role groups, and with the session it is kept by the process too.
    # +3: the activities app's timeline and e-mail template panels.
    # +3: support's panels (the company's tickets; its current contracts, whether any ended).
    with django_assert_num_queries(16):
        client.get(url)
