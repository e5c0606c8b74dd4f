"""A page number from the URL is clamped before it reaches SQL (crm.pagination.paginate): a huge
one overflowed PostgreSQL's bigint OFFSET and answered 500 on every list."""

import pytest
from django.urls import reverse

from contacts.models import Company
from crm.pagination import MAX_OFFSET, paginate
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory

HUGE = "99999999999999999999"
LIST_ROUTES = [
    ("contacts:company_list", CompanyFactory),
    ("contacts:person_list", PersonFactory),
    ("leads:lead_list", LeadFactory),
    ("opportunities:deal_list", DealFactory),
]


@pytest.mark.parametrize(("url_name", "factory"), LIST_ROUTES)
@pytest.mark.parametrize("page", [HUGE, "9" * 400, str(2**63)])
def test_a_huge_page_number_shows_an_empty_page_on_every_list(client, admin, url_name, factory, page):
    factory(owner=admin)
    client.force_login(admin)
    response = client.get(reverse(url_name), {"page": page})
    assert response.status_code == 200
    shown = response.context["page"]
    assert (list(shown.object_list), shown.has_next, shown.has_previous) == ([], False, True)


@pytest.mark.parametrize(("url_name", "factory"), LIST_ROUTES)
def test_the_first_page_still_lists_the_record(client, admin, url_name, factory):
    record = factory(owner=admin)
    client.force_login(admin)
    response = client.get(reverse(url_name), {"page": "1"})
    assert [row.pk for row in response.context["page"]] == [record.pk]


def test_the_page_number_is_clamped_so_the_offset_stays_within_the_maximum(db):
    CompanyFactory()
    page = paginate(Company.objects.all(), HUGE, per_page=50)
    assert page.number == MAX_OFFSET // 50 + 1
    assert (page.number - 1) * page.per_page <= MAX_OFFSET
