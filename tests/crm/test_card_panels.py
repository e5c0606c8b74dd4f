"""The company and person cards are assembled from the panels each app registers (crm.cards)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from contacts.models import Company, Person
from crm import cards
from leads.models import Lead
from opportunities.models import Deal
from tests.conftest import OWNER_KEYS
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory

PERSONAS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def _context_of(name):
    return lambda record, user: {"name": name}


def _linked(html: str, names) -> set[str]:
    """Those of `names` shown as a link's text."""
    return {name for name in names if f">{name}</a>" in html}


def _section_order(html: str) -> list[str]:
    """The card's sections by data-testid, in the order the page shows them."""
    return re.findall(r'<div class="card mb-3" data-testid="([a-z-]+)"', html)


@pytest.fixture
def empty_registry(monkeypatch):
    monkeypatch.setattr(cards, "_panels", defaultdict(list))


@pytest.fixture
def panel_template(settings, tmp_path):
    """A template directory of a stand-in app, with one panel partial."""
    (tmp_path / "stand_in").mkdir()
    (tmp_path / "stand_in" / "panel.html").write_text(
        '<div class="card mb-3" data-testid="stand-in">{{ record.name }}: {{ context.greeting }}</div>'
    )
    engine = {**django_settings.TEMPLATES[0], "DIRS": [tmp_path, *django_settings.TEMPLATES[0]["DIRS"]]}
    settings.TEMPLATES = [engine]
    return "stand_in/panel.html"


# The registry


def test_panels_come_in_their_order_and_equal_orders_in_registration_order(empty_registry, rep):
    for name, order in [("late", 30), ("first", 10), ("middle", 20), ("also middle", 20)]:
        cards.register_panel(Company, cards.Panel(f"{name}.html", _context_of(name), order=order))

    panels = cards.panels_for(Company(name="Acme"), rep)

    assert [context["name"] for _panel, context in panels] == ["first", "middle", "also middle", "late"]


def test_panels_are_registered_per_model(empty_registry, rep):
    cards.register_panel(Company, cards.Panel("company.html", _context_of("company")))
    cards.register_panel(Person, cards.Panel("person.html", _context_of("person")))

    assert [panel.template for panel, _context in cards.panels_for(Person(), rep)] == ["person.html"]


def test_registering_the_same_panel_twice_shows_it_once(empty_registry, rep):
    panel = cards.Panel("company.html", _context_of("company"))
    cards.register_panel(Company, panel)
    cards.register_panel(Company, panel)

    assert len(cards.panels_for(Company(), rep)) == 1


def test_a_panel_the_user_may_not_have_is_left_out_and_its_context_not_computed(empty_registry, rep, admin):
    computed = []

    def context(record, user):
        computed.append(user)
        return {}

    cards.register_panel(Company, cards.Panel("admins.html", context, visible=lambda user: user == admin))

    assert cards.panels_for(Company(), rep) == []
    assert computed == []
    assert len(cards.panels_for(Company(), admin)) == 1


# The cards


def test_the_company_card_shows_people_deals_timeline_and_leads_in_order(client, rep):
    company = CompanyFactory(owner=rep)
    PersonFactory(company=company, owner=rep)
    DealFactory(company=company, owner=rep)
    LeadFactory(converted_company=company, converted_at=timezone.now(), owner=rep)
    client.force_login(rep)

    html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()

    assert _section_order(html)[:4] == ["people", "deals", "timeline", "converted-leads"]


def test_the_person_card_shows_the_timeline_then_the_leads(client, rep):
    person = PersonFactory(owner=rep)
    LeadFactory(converted_person=person, converted_at=timezone.now(), owner=rep)
    client.force_login(rep)

    html = client.get(reverse("contacts:person_detail", args=[person.pk])).content.decode()

    assert _section_order(html)[:2] == ["timeline", "converted-leads"]


def test_a_panel_registered_by_another_app_appears_on_the_card_with_its_context(
    client, rep, panel_template, monkeypatch
):
    company = CompanyFactory(name="Initech", owner=rep)
    monkeypatch.setitem(cards._panels, Company, list(cards._panels[Company]))
    cards.register_panel(
        Company,
        cards.Panel(panel_template, lambda record, user: {"greeting": f"hello {user.username}"}, order=25),
    )
    client.force_login(rep)

    html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()

    assert "Initech: hello rep" in html
    assert _section_order(html)[:4] == ["people", "deals", "stand-in", "timeline"]


def test_a_card_without_the_panels_of_an_app_that_is_not_installed_has_no_trace_of_it(
    client, rep, monkeypatch
):
    company = CompanyFactory(owner=rep)
    DealFactory(name="Unlisted deal", company=company, owner=rep)
    leads_and_deals = ("opportunities/", "leads/")
    monkeypatch.setitem(
        cards._panels,
        Company,
        [panel for panel in cards._panels[Company] if not panel.template.startswith(leads_and_deals)],
    )
    client.force_login(rep)

    response = client.get(reverse("contacts:company_detail", args=[company.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert _section_order(html)[:2] == ["people", "timeline"]
    assert "Unlisted deal" not in html


# What each role sees


@pytest.fixture
def linked_records(personas):
    """A company and a person that every persona sees (the restricted user owns them), with a deal
    and a converted lead of each owner."""
    company = CompanyFactory(name="Shared Archive", owner=personas.restricted)
    person = PersonFactory(first_name="Shared", company=company, owner=personas.restricted)
    converted = timezone.now()
    for key in [*OWNER_KEYS, "unassigned"]:
        owner = getattr(personas, key, None)
        DealFactory(name=f"Deal of {key}", company=company, owner=owner)
        LeadFactory(
            first_name="Lead",
            last_name=f"of {key}",
            converted_company=company,
            converted_person=person,
            converted_at=converted,
            owner=owner,
        )
    return company, person


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_company_card_lists_exactly_the_deals_and_leads_the_user_may_see(
    client, personas, linked_records, persona
):
    company, _person = linked_records
    user = getattr(personas, persona)
    client.force_login(user)

    html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()

    deals = {
        deal.name: Deal.objects.visible_to(user).filter(pk=deal.pk).exists() for deal in company.deals.all()
    }
    leads = {
        lead.full_name: Lead.objects.visible_to(user).filter(pk=lead.pk).exists()
        for lead in company.leads.all()
    }
    assert _linked(html, deals) == {name for name, visible in deals.items() if visible}
    assert _linked(html, leads) == {name for name, visible in leads.items() if visible}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_person_card_lists_exactly_the_leads_the_user_may_see(client, personas, linked_records, persona):
    _company, person = linked_records
    user = getattr(personas, persona)
    client.force_login(user)

    html = client.get(reverse("contacts:person_detail", args=[person.pk])).content.decode()

    leads = {
        lead.full_name: Lead.objects.visible_to(user).filter(pk=lead.pk).exists()
        for lead in person.leads.all()
    }
    assert _linked(html, leads) == {name for name, visible in leads.items() if visible}


def test_the_restricted_user_sees_only_their_own_and_unassigned_deals_and_leads_the_admin_all(
    client, personas, linked_records
):
    """The per-role tests above compare with the access policy; this pins what that policy gives."""
    company, _person = linked_records
    client.force_login(personas.restricted)
    restricted_html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    client.force_login(personas.admin)
    admin_html = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()

    every_name = {f"{kind} of {key}" for kind in ("Deal", "Lead") for key in [*OWNER_KEYS, "unassigned"]}
    # Restricted: their own and unassigned records (crm/access.py).
    assert _linked(restricted_html, every_name) == {
        "Deal of restricted", "Lead of restricted", "Deal of unassigned", "Lead of unassigned"
    }  # fmt: skip
    assert _linked(admin_html, every_name) == every_name


# Query counts


def _links_to(html: str, records) -> int:
    return sum(f'href="{record.get_absolute_url()}"' in html for record in records)


@pytest.mark.parametrize("rows", [1, 30])
def test_the_company_card_runs_the_same_queries_with_one_or_many_people_deals_and_leads(
    client, rep, rows, django_assert_num_queries
):
    company = CompanyFactory(owner=rep)
    person = PersonFactory(company=company, owner=rep)
    PersonFactory.create_batch(rows - 1, company=company, owner=rep)
    DealFactory.create_batch(rows, company=company, primary_contact=person, owner=rep)
    LeadFactory.create_batch(rows, converted_company=company, converted_at=timezone.now(), owner=rep)
    client.force_login(rep)
    url = reverse("contacts:company_detail", args=[company.pk])
    client.get(url)
    # One query per section whatever its rows: the generations (session and user kept), the company, its
    # people, deals and leads (each capped), documents, history…
    with django_assert_num_queries(COMPANY_CARD_QUERIES):
        response = client.get(url)
    html = response.content.decode()
    assert _links_to(html, Deal.objects.filter(company=company)) == rows
    assert _links_to(html, Lead.objects.filter(converted_company=company)) == min(rows, 20)


@pytest.mark.parametrize("rows", [1, 30])
def test_the_person_card_runs_the_same_queries_with_one_or_many_leads(
    client, rep, rows, django_assert_num_queries
):
    person = PersonFactory(owner=rep)
    LeadFactory.create_batch(rows, converted_person=person, converted_at=timezone.now(), owner=rep)
    client.force_login(rep)
    url = reverse("contacts:person_detail", args=[person.pk])
    client.get(url)
    with django_assert_num_queries(PERSON_CARD_QUERIES):
        response = client.get(url)
    html = response.content.decode()
    assert _links_to(html, Lead.objects.filter(converted_person=person)) == min(rows, 20)


# +3/+4: the activities timeline panel (its open to-dos, its history, the inline form's pickers).
# +3: support's panels (the company's tickets; its current contracts, whether any ended).
COMPANY_CARD_QUERIES = 16
# +6: marketing's panels (score, score events, campaigns; the e-mail campaigns received; the
# form submissions and website visits). +1: support's tickets panel.
PERSON_CARD_QUERIES = 17
