"""Leads never converted are data subjects of their own (leads/apps.py registers them): the lead
fields the administrator chooses are anonymised set-based like people's, the contacts-by-age page
lists them on a tab of their own, and the retention job keeps them no longer than people."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gdpr import registry, services
from gdpr.models import GdprEvent, GdprSettings
from leads.models import Lead
from tests.factories import ActivityFactory, LeadFactory, PersonFactory
from tests.gdpr.test_services import _tables_holding

OLD_EMAIL = "ulla.leadmark@fairmail.example"
OLD_PHONE = "+46709990001"
OLD_FIRST, OLD_LAST, OLD_COMPANY = "Ulla", "Leadmarksson", "Leadmark Konsult AB"
LIST = "gdpr:contact_age_list"
BULK = "gdpr:contact_bulk"


@pytest.fixture
def cover_lead_fields(db):
    services.settings_update(
        actor=None,
        anonymised_fields=["lead.email", "lead.phone", "lead.company_name"],
        retention_months=0,
    )


@pytest.fixture
def ulla(personas, cover_lead_fields):
    lead = LeadFactory(
        first_name=OLD_FIRST, last_name=OLD_LAST, email="first@fairmail.example", phone=OLD_PHONE,
        company_name=OLD_COMPANY, owner=personas.rep, details=f"{OLD_FIRST} at the fair 2026",
        description=f"Call {OLD_FIRST} {OLD_LAST} on {OLD_PHONE}",
    )  # fmt: skip
    lead.email = OLD_EMAIL  # a second history row, holding the first address
    lead.save()
    # A to-do about the lead (activities registers its text for leads too).
    ActivityFactory(
        lead=lead, subject=f"Call {OLD_FIRST}", notes=f"Mail {OLD_EMAIL} the offer", owner=personas.rep
    )
    return lead


def test_the_lead_fields_are_offered_in_the_settings():
    offered = {value for value, _label in registry.field_choices()}
    assert {"lead.email", "lead.phone", "lead.company_name", "lead.linkedin"} <= offered
    assert "lead.first_name" not in offered  # the name is always anonymised


def test_a_lead_leaves_its_old_values_in_no_column_of_any_table(ulla, manager):
    assert _tables_holding(OLD_EMAIL) and _tables_holding(OLD_COMPANY)  # the scan finds them before
    assert services.records_anonymise(actor=manager, model=Lead, pks=[ulla.pk]) == 1
    for needle in (OLD_EMAIL, "first@fairmail.example", OLD_PHONE, OLD_LAST, OLD_FIRST, OLD_COMPANY):
        assert _tables_holding(needle) == [], needle
    ulla.refresh_from_db()
    assert (ulla.first_name, ulla.last_name, ulla.email, ulla.company_name) == (
        "Anonymised",
        f"#{ulla.pk}",
        "",
        "",
    )
    assert ulla.description == "Call [anonymised] on [anonymised]"
    event = GdprEvent.objects.get(action="anonymise", object_id=ulla.pk)
    assert set(event.fields) == {"first_name", "last_name", "email", "phone", "company_name"}


def test_lead_fields_not_chosen_are_kept(personas):
    lead = LeadFactory(first_name=OLD_FIRST, email=OLD_EMAIL, company_name=OLD_COMPANY)
    services.records_anonymise(actor=personas.admin, model=Lead, pks=[lead.pk])
    lead.refresh_from_db()
    assert lead.first_name == "Anonymised" and lead.email == OLD_EMAIL and lead.company_name == OLD_COMPANY


def test_a_converted_lead_is_no_subject_of_its_own(personas):
    person = PersonFactory(first_name="Became")
    converted = LeadFactory(first_name="Converted", converted_person=person, status=Lead.Status.CONVERTED)
    assert services.records_anonymise(actor=personas.admin, model=Lead, pks=[converted.pk]) == 0
    converted.refresh_from_db()
    assert converted.first_name == "Converted"
    assert not GdprEvent.objects.filter(action="anonymise").exists()


def test_the_lead_tab_lists_unconverted_leads_the_user_may_see(
    client, personas, managers_see_only_their_teams
):
    LeadFactory(last_name="Mineunconverted", owner=personas.manager)
    LeadFactory(last_name="Hiddenunconverted", owner=personas.rep_other_team)
    LeadFactory(last_name="Mineconverted", owner=personas.manager, converted_person=PersonFactory())
    PersonFactory(last_name="Apersononly", owner=personas.manager)
    client.force_login(personas.manager)
    page = client.get(reverse(LIST), {"kind": "lead"}).content.decode()
    assert "Mineunconverted" in page
    assert "Hiddenunconverted" not in page and "Mineconverted" not in page and "Apersononly" not in page
    people_tab = client.get(reverse(LIST)).content.decode()
    assert "Apersononly" in people_tab and "Mineunconverted" not in people_tab


def test_an_unknown_tab_answers_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse(LIST), {"kind": "nobody"}).status_code == 404


def test_leads_are_anonymised_in_bulk_from_their_tab(client, manager, cover_lead_fields):
    leads = [LeadFactory(first_name="Bulklead", email=f"bulk{n}@lead.example") for n in range(3)]
    client.force_login(manager)
    confirm = client.get(
        reverse(BULK), {"kind": "lead", "action": "anonymise", "ids": [lead.pk for lead in leads]}
    )
    assert b"cannot be undone" in confirm.content and b'name="kind" value="lead"' in confirm.content
    response = client.post(
        reverse(BULK), {"kind": "lead", "action": "anonymise", "ids": [lead.pk for lead in leads]}
    )
    assert response.status_code == 302
    assert not Lead.objects.filter(first_name="Bulklead").exists()
    assert not Lead.objects.filter(email__endswith="@lead.example").exists()


def test_a_rep_cannot_anonymise_leads(client, rep):
    lead = LeadFactory(first_name="Keepme", owner=rep)
    client.force_login(rep)
    response = client.post(reverse(BULK), {"kind": "lead", "action": "anonymise", "ids": [lead.pk]})
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).first_name == "Keepme"


def test_the_retention_job_anonymises_old_unconverted_leads_only(db):
    now = timezone.now()
    old = LeadFactory(first_name="Oldlead")
    old_converted = LeadFactory(first_name="Oldconverted", converted_person=PersonFactory())
    young = LeadFactory(first_name="Younglead")
    Lead.objects.filter(pk__in=[old.pk, old_converted.pk]).update(
        updated_at=now - datetime.timedelta(days=900)
    )
    Lead.objects.filter(pk=young.pk).update(updated_at=now - datetime.timedelta(days=100))
    settings_row = GdprSettings.load()
    settings_row.retention_months = 24
    settings_row.save()
    services.retention_anonymise()
    assert services.retention_anonymise() == 0  # idempotent
    names = dict(Lead.objects.values_list("pk", "first_name"))
    assert names == {old.pk: "Anonymised", old_converted.pk: "Oldconverted", young.pk: "Younglead"}
