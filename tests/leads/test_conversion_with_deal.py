import pytest
from django.urls import reverse

from contacts.models import Company, Person
from leads import services
from leads.models import Lead
from opportunities.models import Deal, Pipeline, Stage
from tests.factories import CompanyFactory, LeadFactory


def test_converting_can_create_a_deal_in_the_chosen_pipelines_first_stage(rep):
    lead = LeadFactory(owner=rep, company_name="Uppsala Arkiv", email="ada@uppsala-arkiv.se")
    journey = Pipeline.objects.get(name="Business Development Journey")
    identify = journey.stages.get(name="Identify")
    person, company = services.lead_convert(
        actor=rep,
        lead=lead,
        create_company=True,
        deal_pipeline=journey,
        deal_name="3 TB - Maps - preservation",
        deal_description="Their archive law changes next year.",
        deal_criteria=list(identify.criteria.all()),
    )
    lead.refresh_from_db()
    deal = lead.converted_deal
    assert (deal.pipeline, deal.stage.name, deal.name) == (journey, "Identify", "3 TB - Maps - preservation")
    assert (deal.company, deal.primary_contact, deal.owner) == (company, person, rep)
    assert deal.description == "Their archive law changes next year."
    assert set(deal.confirmed_criteria.all()) == set(identify.criteria.all())


def test_a_deal_the_first_stage_refuses_rolls_the_whole_conversion_back(rep):
    pipeline = Pipeline.objects.create(name="Strict")
    Stage.objects.create(pipeline=pipeline, name="Start", position=0, required_fields=["value"])
    lead = LeadFactory(owner=rep, company_name="Nowhere AB")
    with pytest.raises(services.LeadConversionError, match="an estimated value"):
        services.lead_convert(actor=rep, lead=lead, create_company=True, deal_pipeline=pipeline)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW
    assert not Company.objects.filter(name="Nowhere AB").exists()
    assert not Person.objects.filter(last_name=lead.last_name).exists()
    assert not Deal.objects.exists()


def test_the_convert_page_creates_the_deal_when_asked(client, rep):
    company = CompanyFactory(owner=rep, email_domain="hamnbolag.se")
    lead = LeadFactory(owner=rep, company_name="Hamnbolaget", email="ola@hamnbolag.se")
    standard = Pipeline.objects.get(name="Standard")
    client.force_login(rep)
    response = client.post(
        reverse("leads:lead_convert", args=[lead.pk]),
        {
            "company_choice": company.pk,
            "person_choice": "new",
            "create_deal": "on",
            "deal_pipeline": standard.pk,
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_deal.stage.name == "Prospect"
    assert lead.converted_deal.name == "Hamnbolaget"


def test_asking_for_a_deal_without_a_pipeline_is_refused_on_the_form(client, rep):
    lead = LeadFactory(owner=rep, company_name="X AB")
    client.force_login(rep)
    response = client.post(
        reverse("leads:lead_convert", args=[lead.pk]),
        {"company_choice": "new", "person_choice": "new", "create_deal": "on"},
    )
    assert response.status_code == 200
    assert "Choose the pipeline of the new deal." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW


def test_a_deal_name_outside_the_pipelines_fixed_names_rolls_the_conversion_back(rep):
    pipeline = Pipeline.objects.create(name="Fixed names", deal_names="Archive scan\nMap digitising")
    Stage.objects.create(pipeline=pipeline, name="Start", position=0)
    lead = LeadFactory(owner=rep, company_name="Elsewhere AB")
    with pytest.raises(services.LeadConversionError):
        services.lead_convert(
            actor=rep, lead=lead, create_company=True, deal_pipeline=pipeline, deal_name="Something else"
        )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW
    assert not Company.objects.filter(name="Elsewhere AB").exists() and not Deal.objects.exists()


def test_converting_moves_the_leads_version_on_by_one(rep):
    lead = LeadFactory(owner=rep, company_name="Versioned AB")
    before = lead.version
    services.lead_convert(actor=rep, lead=lead, create_company=True)
    lead.refresh_from_db()
    assert lead.version == before + 1


def test_a_converted_lead_may_be_saved_with_its_status_as_a_plain_string(rep):
    """A form or an import sends the status as text: "converted" is no change of status."""
    lead = LeadFactory(owner=rep, company_name="Kept AB")
    services.lead_convert(actor=rep, lead=lead, create_company=True)
    lead.refresh_from_db()
    updated = services.lead_update(
        actor=rep,
        lead=lead,
        changes={"status": "".join(["con", "verted"]), "description": "Met again"},
        expected_version=lead.version,
    )
    assert (updated.status, Lead.objects.get(pk=lead.pk).description) == ("converted", "Met again")
