"""Pages and exports run the same number of queries with one row as with many.

Each count is exact and the same for both sizes: a query per row (an N+1) adds queries with the rows
and fails here. The first request warms the session and content types, as in
tests/contacts/test_list_query_counts.py; after it, the session and the user are kept by the
process (crm.lookup_cache's identity generation), so a page reads neither.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities import services as deal_services
from opportunities.models import Pipeline, Stage
from opportunities.sales import services as sales
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db

ROWS = [1, 25]


def measured_get(client, user, url, params=None):
    """The response to a second GET of `url`; the first one warms the session and caches."""
    client.force_login(user)
    client.get(url, params)
    return lambda: client.get(url, params)


def deals_with_everything_linked(owner, rows):
    """`rows` deals, each with a company, a primary contact, a team and a sector to show."""
    deals = []
    for _index in range(rows):
        company = CompanyFactory(owner=owner, complete=True)
        deals.append(
            DealFactory(
                owner=owner,
                company=company,
                primary_contact=PersonFactory(owner=owner, company=company),
                value=Decimal(100),
                expected_close_date=timezone.localdate(),
            )
        )
    return deals


# -- Lists and cards --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_the_deals_list(client, rep, personas, rows, django_assert_num_queries):
    deals_with_everything_linked(rep, rows)
    get = measured_get(client, rep, reverse("opportunities:deal_list"))
    # +1: the next-step column (activities), one query for the whole page
    with django_assert_num_queries(5):
        response = get()
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_the_deal_card_with_its_lines_and_contacts(
    client, rep, personas, rows, django_assert_num_queries, media_root
):
    [deal] = deals_with_everything_linked(rep, 1)
    for index in range(rows):
        sales.deal_line_add(
            actor=rep,
            deal=deal,
            values={"description": f"Line {index}", "quantity": Decimal(1), "unit_price": Decimal(10)},
        )
        deal_services.deal_contact_add(
            actor=rep, deal=deal, person=PersonFactory(owner=rep, company=deal.company)
        )
    get = measured_get(client, rep, reverse("opportunities:deal_detail", args=[deal.pk]))
    # +4: the activities timeline panel (open to-dos, history, the inline form's two pickers)
    with django_assert_num_queries(22):  # +1: marketing's panel (the deal's campaigns)
        response = get()
    assert response.status_code == 200
    assert len(list(response.context["deal_contacts"])) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_the_lead_card_with_its_history(client, rep, personas, rows, django_assert_num_queries):
    lead = LeadFactory(owner=rep)
    for index in range(rows - 1):
        lead.title = f"Title {index}"
        lead.save()
    get = measured_get(client, rep, reverse("leads:lead_detail", args=[lead.pk]))
    # +4: the card panels (marketing's score events and campaigns; form submissions and visits)
    with django_assert_num_queries(8):
        response = get()
    assert response.status_code == 200


@pytest.mark.parametrize("rows", ROWS)
def test_the_person_card_with_its_deals(client, rep, personas, rows, django_assert_num_queries):
    company = CompanyFactory(owner=rep)
    person = PersonFactory(owner=rep, company=company)
    for _index in range(rows):
        deal = DealFactory(owner=rep, company=company, primary_contact=person)
        deal_services.deal_contact_add(actor=rep, deal=deal, person=person)
    get = measured_get(client, rep, reverse("contacts:person_detail", args=[person.pk]))
    # +4: the activities timeline panel (open to-dos, history, the inline form's two pickers)
    # +6: marketing's panels (score, score events, campaigns; e-mails received; submissions, visits)
    # +1: support's tickets panel
    with django_assert_num_queries(18):
        response = get()
    assert response.status_code == 200


# -- The dashboard ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_the_dashboard(client, rep, personas, rows, django_assert_num_queries):
    won = Stage.objects.get(pipeline__name="Standard", kind=Stage.Kind.WON)
    today = timezone.localdate()
    currencies = ["EUR", "SEK", "HUF", "USD", "GBP"]
    for index in range(rows):
        currency = currencies[index % len(currencies)]
        DealFactory(owner=rep, value=Decimal(100), currency=currency, expected_close_date=today)
        DealFactory(owner=rep, value=Decimal(100), currency=currency, stage=won, closed_on=today)
        CompanyFactory(owner=rep)
        LeadFactory(owner=rep)
    get = measured_get(client, rep, reverse("dashboard"))
    with django_assert_num_queries(6):
        response = get()
    assert response.status_code == 200
    assert len(response.context["figures"]["deals_by_currency"]) == min(rows, len(currencies))


# -- Exports (CSV, streamed: the queries run while the rows are read) ----------------------------


def read_export(get):
    response = get()
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


@pytest.mark.parametrize("rows", ROWS)
def test_the_company_export(client, manager, rep, personas, rows, django_assert_num_queries):
    for _index in range(rows):
        PersonFactory(owner=rep, company=CompanyFactory(owner=rep, complete=True))
    get = measured_get(client, manager, reverse("contacts:company_export", args=["csv"]))
    with django_assert_num_queries(3):
        lines = read_export(get)
    assert len(lines) == rows + 1


@pytest.mark.parametrize("rows", ROWS)
def test_the_person_export(client, manager, rep, personas, rows, django_assert_num_queries):
    for _index in range(rows):
        PersonFactory(owner=rep, company=CompanyFactory(owner=rep), complete=True)
    get = measured_get(client, manager, reverse("contacts:person_export", args=["csv"]))
    with django_assert_num_queries(3):
        lines = read_export(get)
    assert len(lines) >= rows + 1


@pytest.mark.parametrize("rows", ROWS)
def test_the_deal_export(client, manager, rep, personas, rows, django_assert_num_queries):
    deals_with_everything_linked(rep, rows)
    get = measured_get(client, manager, reverse("opportunities:deal_export", args=["csv"]))
    with django_assert_num_queries(3):
        lines = read_export(get)
    assert len(lines) == rows + 1


@pytest.mark.parametrize("rows", ROWS)
def test_the_lead_export(client, manager, rep, personas, rows, django_assert_num_queries):
    LeadFactory.create_batch(rows, owner=rep)
    get = measured_get(client, manager, reverse("leads:lead_export", args=["csv"]))
    with django_assert_num_queries(3):
        lines = read_export(get)
    assert len(lines) == rows + 1


@pytest.mark.parametrize("rows", ROWS)
def test_the_board_export(client, manager, rep, personas, rows, django_assert_num_queries):
    pipeline = Pipeline.objects.get(name="Standard")
    deals_with_everything_linked(rep, rows)
    get = measured_get(
        client,
        manager,
        reverse("opportunities:board_export", args=["csv"]),
        {"pipeline": pipeline.pk, "period": "any"},
    )
    with django_assert_num_queries(7):
        lines = read_export(get)
    assert len(lines) == rows + 1
