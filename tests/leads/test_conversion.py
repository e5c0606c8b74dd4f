"""Lead conversion (leads.services) and the lead rules around it: candidates, converting into
existing or new records, refusals that leave nothing behind, the form, list and convert view."""

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import Company, Person
from crm.models import AuditEvent
from leads import services
from leads.forms import LeadForm
from leads.models import Lead
from leads.services import LeadConversionError, lead_conversion_candidates, lead_convert
from tests.factories import CompanyFactory, LeadFactory, PersonFactory


@pytest.fixture
def lead(rep):
    return LeadFactory(
        first_name="Anna",
        last_name="Kovács",
        company_name="Nordlys Arkiv",
        email="anna@nordlys.se",
        phone="+46701234567",
        title="Archivist",
        owner=rep,
    )


def counts():
    return Company.objects.count(), Person.objects.count()


# Candidates


def test_candidates_include_the_company_with_the_leads_email_domain(rep, lead):
    by_domain = CompanyFactory(name="Completely different", email_domain="nordlys.se")
    CompanyFactory(name="Other", email_domain="other.se")
    assert lead_conversion_candidates(user=rep, lead=lead).companies == [by_domain]


def test_candidates_include_a_company_with_an_alike_name(rep, lead):
    by_name = CompanyFactory(name="Nordlys Arkiv AB", email_domain="nordlys.no")
    CompanyFactory(name="Nordlys Media Group", email_domain="media.no")
    assert lead_conversion_candidates(user=rep, lead=lead).companies == [by_name]


def test_candidates_include_the_person_with_the_leads_email(rep, lead):
    same = PersonFactory(email="anna@nordlys.se")
    PersonFactory(email="bo@nordlys.se")
    assert lead_conversion_candidates(user=rep, lead=lead).people == [same]


def test_a_free_mail_lead_matches_no_company_by_domain(rep):
    lead = LeadFactory(company_name="", email="anna@gmail.com", owner=rep)
    CompanyFactory(name="Google", email_domain="gmail.com")
    assert lead_conversion_candidates(user=rep, lead=lead).companies == []


def test_candidates_are_only_records_the_user_can_see(
    manager, rep, rep_other_team, managers_see_only_their_teams
):
    lead = LeadFactory(company_name="Nordlys Arkiv", email="anna@nordlys.se", owner=manager)
    visible = CompanyFactory(name="Nordlys Arkiv AB", email_domain="nordlys.se", owner=rep)
    CompanyFactory(name="Nordlys Arkiv", email_domain="nordlys.se", owner=rep_other_team)
    seen = PersonFactory(email="anna@nordlys.se", owner=rep)
    PersonFactory(email="anna@nordlys.se", owner=rep_other_team)

    candidates = lead_conversion_candidates(user=manager, lead=lead)

    assert candidates.companies == [visible]
    assert candidates.people == [seen]


# Converting


def assert_converted(lead, *, actor, person, company):
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    assert (lead.converted_person, lead.converted_company, lead.converted_by) == (person, company, actor)
    assert lead.converted_at is not None
    latest = lead.history.order_by("-history_date", "-history_id").first()
    assert (latest.status, latest.history_user) == (Lead.Status.CONVERTED, actor)
    audit = AuditEvent.objects.get(verb="convert", object_id=str(lead.pk))
    assert audit.actor == actor
    assert audit.changes == {"person": person.pk, "company": company.pk if company else None, "deal": None}


def test_converting_into_an_existing_company_creates_the_person_there(rep, lead):
    company = CompanyFactory(name="Nordlys Arkiv AB", owner=rep)

    person, returned = lead_convert(actor=rep, lead=lead, company=company)

    assert returned == company
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.email, person.phone, person.title) == (
        "Anna",
        "Kovács",
        "anna@nordlys.se",
        "+46701234567",
        "Archivist",
    )
    assert (person.company, person.owner) == (company, rep)
    assert Company.objects.count() == 1
    assert_converted(lead, actor=rep, person=person, company=company)


def test_converting_with_a_new_company_creates_both(rep, lead, personas):
    north = personas.north
    lead.team = north
    lead.save()

    person, company = lead_convert(actor=rep, lead=lead, create_company=True)

    company.refresh_from_db()
    assert (company.name, company.email_domain, company.owner, company.team) == (
        "Nordlys Arkiv",
        "nordlys.se",
        rep,
        north,
    )
    assert person.company == company
    assert AuditEvent.objects.filter(verb="create", object_id=str(company.pk)).exists()
    assert_converted(lead, actor=rep, person=person, company=company)


def test_a_new_company_from_a_free_mail_lead_gets_no_email_domain(rep):
    lead = LeadFactory(company_name="Anna's Bakery", email="anna@gmail.com", owner=rep)
    _person, company = lead_convert(actor=rep, lead=lead, create_company=True)
    assert company.email_domain == ""


def test_an_unassigned_lead_becomes_records_owned_by_the_converting_user(rep):
    lead = LeadFactory(owner=None)
    person, company = lead_convert(actor=rep, lead=lead, create_company=True)
    assert (person.owner, company.owner) == (rep, rep)


def test_converting_into_an_existing_person_without_a_company_gives_them_the_company(rep, lead):
    company = CompanyFactory(owner=rep)
    existing = PersonFactory(first_name="Anna", email="anna@nordlys.se", title="Head of archive", owner=rep)

    person, _company = lead_convert(actor=rep, lead=lead, company=company, person=existing)

    existing.refresh_from_db()
    assert person == existing
    assert (existing.company, existing.title, existing.version) == (company, "Head of archive", 2)
    assert Person.objects.count() == 1
    assert_converted(lead, actor=rep, person=existing, company=company)


def test_an_existing_person_at_another_company_keeps_their_company(rep, lead):
    theirs, chosen = CompanyFactory(owner=rep), CompanyFactory(owner=rep)
    existing = PersonFactory(company=theirs, owner=rep)

    lead_convert(actor=rep, lead=lead, company=chosen, person=existing)

    existing.refresh_from_db()
    assert (existing.company, existing.version) == (theirs, 1)
    lead.refresh_from_db()
    assert (lead.converted_person, lead.converted_company) == (existing, chosen)


def test_converting_without_a_company_creates_only_the_person(rep, lead):
    person, company = lead_convert(actor=rep, lead=lead)
    assert company is None
    assert person.company is None
    assert Company.objects.count() == 0
    assert_converted(lead, actor=rep, person=person, company=None)


def test_a_lead_without_a_first_name_becomes_a_person_named_by_the_last_name(rep):
    lead = LeadFactory(first_name="", last_name="Nordström", owner=rep)
    person, _company = lead_convert(actor=rep, lead=lead)
    assert (person.first_name, person.last_name) == ("Nordström", "")


# Refusals


def test_converting_twice_is_refused(rep, lead):
    lead_convert(actor=rep, lead=lead)
    before = counts()
    with pytest.raises(LeadConversionError):
        lead_convert(actor=rep, lead=lead)
    assert counts() == before


def test_a_disqualified_lead_cannot_be_converted(rep):
    lead = LeadFactory(owner=rep, status=Lead.Status.DISQUALIFIED)
    with pytest.raises(LeadConversionError):
        lead_convert(actor=rep, lead=lead, create_company=True)
    assert counts() == (0, 0)


def test_a_user_who_cannot_edit_the_lead_cannot_convert_it(rep_other_team, lead):
    with pytest.raises(LeadConversionError):
        lead_convert(actor=rep_other_team, lead=lead, create_company=True)
    assert counts() == (0, 0)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


@pytest.mark.parametrize("hidden", ["company", "person"])
def test_choosing_a_record_the_user_cannot_see_is_refused_and_nothing_is_created(
    manager, rep_other_team, hidden, managers_see_only_their_teams
):
    lead = LeadFactory(owner=manager)
    records = {"company": CompanyFactory(owner=rep_other_team), "person": PersonFactory(owner=rep_other_team)}
    before = counts()

    with pytest.raises(LeadConversionError):
        lead_convert(actor=manager, lead=lead, **{hidden: records[hidden]})

    assert counts() == before
    lead.refresh_from_db()
    assert (lead.status, lead.converted_person) == (Lead.Status.NEW, None)
    assert not AuditEvent.objects.filter(verb="convert").exists()


def test_choosing_an_existing_company_and_a_new_one_is_refused(rep, lead):
    with pytest.raises(LeadConversionError):
        lead_convert(actor=rep, lead=lead, company=CompanyFactory(owner=rep), create_company=True)
    assert counts() == (1, 0)


def test_creating_a_company_for_a_lead_without_company_name_is_refused(rep):
    lead = LeadFactory(company_name="  ", owner=rep)
    with pytest.raises(LeadConversionError):
        lead_convert(actor=rep, lead=lead, create_company=True)
    assert counts() == (0, 0)


def test_a_failure_half_way_leaves_nothing_behind(rep, lead, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.contact_services, "person_create", fail)

    with pytest.raises(RuntimeError, match="disk full"):
        lead_convert(actor=rep, lead=lead, create_company=True)

    assert counts() == (0, 0)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_a_person_the_user_cannot_edit_does_not_gain_the_company(rep, rep_other_team, lead):
    # A sales rep sees every person but edits only their own and their team's.
    company = CompanyFactory(owner=rep)
    theirs = PersonFactory(owner=rep_other_team, company=None)

    with contextlib.suppress(LeadConversionError):
        lead_convert(actor=rep, lead=lead, company=company, person=theirs)

    theirs.refresh_from_db()
    assert (theirs.company, theirs.version) == (None, 1)


# Lead writes around conversion


def test_lead_create_refuses_the_converted_status(rep):
    with pytest.raises(ValidationError):
        services.lead_create(actor=rep, values={"last_name": "Kovács", "status": Lead.Status.CONVERTED})
    assert not Lead.objects.exists()


def test_lead_create_lower_cases_the_email_and_refuses_unknown_fields(rep):
    lead = services.lead_create(actor=rep, values={"last_name": "Kovács", "email": "Anna@Nordlys.SE"})
    assert lead.email == "anna@nordlys.se"
    with pytest.raises(TypeError):
        services.lead_create(actor=rep, values={"last_name": "X", "converted_company": None})


def test_lead_update_refuses_to_unconvert_a_lead(rep, lead):
    lead_convert(actor=rep, lead=lead)
    lead.refresh_from_db()
    with pytest.raises(ValidationError):
        services.lead_update(
            actor=rep, lead=lead, changes={"status": Lead.Status.WORKING}, expected_version=lead.version
        )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED


def test_a_converted_lead_can_still_get_other_changes(rep, lead):
    lead_convert(actor=rep, lead=lead)
    lead.refresh_from_db()
    services.lead_update(
        actor=rep,
        lead=lead,
        changes={"status": Lead.Status.CONVERTED, "details": "Met at ICA 2025"},
        expected_version=lead.version,
    )
    lead.refresh_from_db()
    assert (lead.status, lead.details) == (Lead.Status.CONVERTED, "Met at ICA 2025")


def test_lead_update_cannot_mark_a_lead_converted(rep, lead):
    with pytest.raises(ValidationError):
        services.lead_update(
            actor=rep, lead=lead, changes={"status": Lead.Status.CONVERTED}, expected_version=lead.version
        )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_the_lead_form_never_offers_converted(rep, lead):
    new_form, edit_form = LeadForm(user=rep), LeadForm(instance=lead, user=rep)
    for form in (new_form, edit_form):
        assert Lead.Status.CONVERTED not in [value for value, _label in form.fields["status"].choices]
    posted = LeadForm({"last_name": "Kovács", "status": "converted", "owner": ""}, user=rep)
    assert not posted.is_valid()
    assert "status" in posted.errors


def test_the_form_of_a_converted_lead_shows_but_locks_the_status(rep, lead):
    lead_convert(actor=rep, lead=lead)
    lead.refresh_from_db()
    form = LeadForm(instance=lead, user=rep)
    assert form.fields["status"].disabled
    assert form["status"].value() == Lead.Status.CONVERTED


# Views


def test_the_lead_list_shows_open_leads_unless_converted_ones_are_asked_for(client, rep):
    LeadFactory(last_name="New one", owner=rep)
    LeadFactory(last_name="Working one", owner=rep, status=Lead.Status.WORKING)
    LeadFactory(last_name="Converted one", owner=rep, status=Lead.Status.CONVERTED)
    LeadFactory(last_name="Disqualified one", owner=rep, status=Lead.Status.DISQUALIFIED)
    client.force_login(rep)

    default = client.get(reverse("leads:lead_list"))
    converted = client.get(reverse("leads:lead_list"), {"status": "converted"})

    assert {lead.last_name for lead in default.context["page"].object_list} == {"New one", "Working one"}
    assert [lead.last_name for lead in converted.context["page"].object_list] == ["Converted one"]


def test_the_convert_view_links_the_lead_to_a_suggested_company_and_opens_its_card(client, rep, lead):
    company = CompanyFactory(name="Nordlys Arkiv AB", email_domain="nordlys.se", owner=rep)
    client.force_login(rep)
    url = reverse("leads:lead_convert", kwargs={"pk": lead.pk})

    page = client.get(url)
    response = client.post(url, {"company_choice": str(company.pk), "person_choice": "new"})

    assert page.status_code == 200
    assert str(company.pk) in [
        value for value, _label in page.context["form"].fields["company_choice"].choices
    ]
    assert response.status_code == 302
    assert response["Location"] == company.get_absolute_url()
    person = Person.objects.get()
    assert (person.company, person.email) == (company, "anna@nordlys.se")
    lead.refresh_from_db()
    assert (lead.status, lead.converted_company, lead.converted_person) == (
        Lead.Status.CONVERTED,
        company,
        person,
    )


def test_the_convert_view_refuses_a_company_id_that_was_not_suggested(
    client, manager, rep_other_team, managers_see_only_their_teams
):
    lead = LeadFactory(owner=manager, email="anna@nordlys.se")
    hidden = CompanyFactory(email_domain="nordlys.se", owner=rep_other_team)
    client.force_login(manager)

    response = client.post(
        reverse("leads:lead_convert", kwargs={"pk": lead.pk}),
        {"company_choice": str(hidden.pk), "person_choice": "new"},
    )

    assert response.status_code == 200
    assert "company_choice" in response.context["form"].errors
    assert Person.objects.count() == 0


def test_the_convert_view_of_a_converted_lead_sends_the_user_back_to_the_lead(client, rep, lead):
    lead_convert(actor=rep, lead=lead)
    client.force_login(rep)
    response = client.get(reverse("leads:lead_convert", kwargs={"pk": lead.pk}))
    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
