"""No name of a hidden record reaches a user through the records linked to it (issue 9 §2).

A Restricted user sees their own deal, whose company and primary contact belong to a colleague
and are hidden from them (404 at their own URLs). Every page and export that shows the deal, or
a person or lead linked to hidden records, must show "hidden record" or nothing in their place;
the same page as an Administrator shows the names, so the check is not vacuous.
"""

import csv
import io
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from crm import linked
from crm.history import history_entries
from leads.models import Lead
from opportunities.models import Deal, DealContact
from opportunities.sales import services as sales
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory

COMPANY = "Hemlighet Holding AB"
CONTACT = "Hedda Hemlig"
FORMER_COMPANY = "Forna Bolaget AB"
HIDDEN = "hidden record"

pytestmark = pytest.mark.django_db


def grant(user, *names: str) -> None:
    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


@pytest.fixture
def world(personas, media_root):
    """The restricted user's deal (with a quote and an order), person and converted lead, each
    linked to a company and a contact of the rep's: visible to an Administrator, hidden from the
    Restricted user."""
    rep, restricted = personas.rep, personas.restricted
    company = CompanyFactory(name=COMPANY, owner=rep)
    first_name, last_name = CONTACT.split()
    contact = PersonFactory(first_name=first_name, last_name=last_name, owner=rep, company=company)
    former = CompanyFactory(name=FORMER_COMPANY, owner=rep)
    deal = DealFactory(name="Restricted's archive deal", owner=restricted, company=former, value=Decimal(100))
    # A change of company and contact in the deal's history, saved as any save is recorded.
    deal.company, deal.primary_contact = company, contact
    deal.save()
    DealContact.objects.create(deal=deal, person=contact)
    sales.deal_line_add(
        actor=personas.admin,
        deal=deal,
        values={"description": "Archive box", "quantity": 1, "unit_price": Decimal(100)},
    )
    quote = sales.quote_create(actor=personas.admin, deal=deal)
    Deal.objects.filter(pk=deal.pk).update(stage=deal.pipeline.stages.get(kind="won"))
    order = sales.sales_order_for_won_deal(actor=personas.admin, deal=Deal.objects.get(pk=deal.pk))
    person = PersonFactory(first_name="Synlig", last_name="Person", owner=restricted, company=former)
    person.company = company
    person.save()
    lead = LeadFactory(last_name="Lead of restricted", owner=restricted)
    Lead.objects.filter(pk=lead.pk).update(
        status=Lead.Status.CONVERTED,
        converted_company=company,
        converted_person=contact,
        converted_at=timezone.now(),
    )
    for user in (restricted, personas.manager):
        grant(
            user,
            "opportunities.export_deal",
            "opportunities.view_quote",
            "opportunities.view_salesorder",
            "contacts.export_person",
        )
    return SimpleNamespace(deal=deal, quote=quote, order=order, person=person, lead=lead, company=company)


def csv_text(response) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def page_text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def pdf_text(response) -> str:
    assert response.status_code == 200
    return PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()


def board_params(world) -> str:
    return urlencode({"pipeline": world.deal.pipeline_id, "period": "any", "won": "on"})


PATHS = {
    "deal card": lambda client, world: page_text(client.get(world.deal.get_absolute_url())),
    "deals list": lambda client, world: page_text(client.get(reverse("opportunities:deal_list"))),
    "deals export": lambda client, world: csv_text(
        client.get(reverse("opportunities:deal_export", kwargs={"file_format": "csv"}))
    ),
    "board": lambda client, world: page_text(
        client.get(f"{reverse('opportunities:board')}?{board_params(world)}")
    ),
    "board export": lambda client, world: csv_text(
        client.get(
            f"{reverse('opportunities:board_export', kwargs={'file_format': 'csv'})}?{board_params(world)}"
        )
    ),
    "quote page": lambda client, world: page_text(client.get(world.quote.get_absolute_url())),
    "sales order page": lambda client, world: page_text(client.get(world.order.get_absolute_url())),
    "people list": lambda client, world: page_text(client.get(reverse("contacts:person_list"))),
    "people export": lambda client, world: csv_text(
        client.get(reverse("contacts:person_export", kwargs={"file_format": "csv"}))
    ),
    "person card": lambda client, world: page_text(client.get(world.person.get_absolute_url())),
    "lead card": lambda client, world: page_text(client.get(world.lead.get_absolute_url())),
}
# Where the name of the hidden contact would appear besides the company's.
NAMES_THE_CONTACT = {
    "deal card",
    "deals export",
    "board export",
    "quote page",
    "sales order page",
    "lead card",
}
# Where the change history shows the former company.
SHOWS_HISTORY = {"deal card", "person card"}


def names_expected(path: str) -> list[str]:
    names = [COMPANY]
    if path in NAMES_THE_CONTACT:
        names.append(CONTACT)
    if path in SHOWS_HISTORY:
        names.append(FORMER_COMPANY)
    return names


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_administrator_reads_the_linked_names(client, personas, world, path):
    client.force_login(personas.admin)
    text = PATHS[path](client, world)
    for name in names_expected(path):
        assert name in text, name


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_restricted_user_reads_no_name_of_a_hidden_linked_record(client, personas, world, path):
    client.force_login(personas.restricted)
    text = PATHS[path](client, world)
    for name in (COMPANY, CONTACT, FORMER_COMPANY):
        assert name not in text, name
    if path != "person card":  # the person card leaves a hidden company out
        assert HIDDEN in text


def test_the_quote_pdf_is_refused_to_who_may_not_see_the_company_it_names(client, personas, world):
    url = reverse("opportunities:quote_pdf", args=[world.quote.pk])
    client.force_login(personas.admin)
    assert COMPANY in pdf_text(client.get(url))
    client.force_login(personas.restricted)
    assert client.get(url).status_code == 404
    # …as is the company itself.
    assert client.get(world.company.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("snapshot", ["quote", "order"])
def test_the_generic_document_download_withholds_a_pdf_naming_a_hidden_company(
    client, personas, world, snapshot
):
    document = getattr(world, snapshot).document
    url = reverse("documents:document_download", args=[document.pk])
    grant(personas.restricted, "crm.view_document")
    client.force_login(personas.admin)
    assert COMPANY in pdf_text(client.get(url))
    client.force_login(personas.restricted)
    assert client.get(world.deal.get_absolute_url()).status_code == 200  # the deal itself is visible
    assert client.get(url).status_code == 404


def test_the_quote_page_offers_no_pdf_to_who_may_not_see_the_company(client, personas, world):
    pdf_url = reverse("opportunities:quote_pdf", args=[world.quote.pk])
    client.force_login(personas.restricted)
    assert pdf_url not in page_text(client.get(world.quote.get_absolute_url()))
    assert pdf_url not in page_text(client.get(world.deal.get_absolute_url()))
    client.force_login(personas.admin)
    assert pdf_url in page_text(client.get(world.quote.get_absolute_url()))


def test_a_visible_company_and_contact_stay_named_and_linked(client, personas, world):
    Deal.objects.filter(pk=world.deal.pk).update(company=None)
    world.company.owner = personas.restricted
    world.company.save()
    client.force_login(personas.restricted)
    text = page_text(client.get(reverse("contacts:person_list")))
    assert COMPANY in text and HIDDEN not in text


def test_a_deal_without_company_shows_no_hidden_record(client, personas):
    DealFactory(name="Lonely deal", owner=personas.restricted)
    client.force_login(personas.restricted)
    assert HIDDEN not in page_text(client.get(reverse("opportunities:deal_list")))


def test_history_names_a_linked_record_only_to_who_may_see_it(personas, world):
    def company_change(user):
        (entry,) = [entry for entry in history_entries(world.deal, user=user) if entry.kind == "~"]
        return next(change for change in entry.changes if str(change[0]) == "company")

    assert [str(value) for value in company_change(personas.admin)[1:]] == [FORMER_COMPANY, COMPANY]
    assert company_change(personas.restricted)[1:] == (linked.HIDDEN_RECORD, linked.HIDDEN_RECORD)


# A Manager narrowed to their teams ------------------------------------------------------------


@pytest.fixture
def outside_the_managers_teams(personas, managers_see_only_their_teams):
    """The manager's own deal and person, linked to a company and a contact of the other team."""
    other = personas.rep_other_team
    company = CompanyFactory(name=COMPANY, owner=other)
    first_name, last_name = CONTACT.split()
    contact = PersonFactory(first_name=first_name, last_name=last_name, owner=other, company=company)
    deal = DealFactory(
        name="Manager's deal", owner=personas.manager, company=company, primary_contact=contact
    )
    PersonFactory(first_name="Manager's", last_name="contact", owner=personas.manager, company=company)
    grant(personas.manager, "opportunities.export_deal", "contacts.export_person")
    return deal


@pytest.mark.parametrize("export", ["board export", "people export"])
def test_a_narrowed_manager_exports_no_company_or_person_outside_their_teams(
    client, personas, outside_the_managers_teams, export
):
    world = SimpleNamespace(deal=outside_the_managers_teams)
    client.force_login(personas.manager)
    rows = list(csv.reader(io.StringIO(PATHS[export](client, world))))
    cells = {cell for row in rows for cell in row}
    assert COMPANY not in cells and CONTACT not in cells
    assert HIDDEN in cells
    client.force_login(personas.admin)
    text = PATHS[export](client, world)
    assert COMPANY in text and (export == "people export" or CONTACT in text)
