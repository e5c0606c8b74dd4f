"""What a first user tripped over when converting a lead (issue 8, "What a first user trips over")."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from leads.forms import NEW, NONE, LeadConversionForm
from leads.services import lead_conversion_candidates
from opportunities.models import Pipeline
from tests.factories import CompanyFactory, LeadFactory, PersonFactory


def convert_page_form(rep, lead) -> LeadConversionForm:
    return LeadConversionForm(user=rep, lead=lead, candidates=lead_conversion_candidates(user=rep, lead=lead))


def test_choosing_a_pipeline_creates_the_deal_even_without_the_tick(client, rep):
    lead = LeadFactory(owner=rep, company_name="Sundsvall Arkiv", email="eva@sundsvall-arkiv.se")
    standard = Pipeline.objects.get(name="Standard")
    client.force_login(rep)
    response = client.post(
        reverse("leads:lead_convert", args=[lead.pk]),
        {"company_choice": NEW, "person_choice": NEW, "deal_pipeline": standard.pk},
    )
    lead.refresh_from_db()
    assert lead.converted_deal is not None
    assert (lead.converted_deal.pipeline, lead.converted_deal.stage.name) == (standard, "Prospect")
    assert response["Location"] == lead.converted_deal.get_absolute_url()


def test_the_message_says_what_was_created_and_linked_with_links(client, rep):
    company = CompanyFactory(owner=rep, name="Hamnbolaget AB", email_domain="hamnbolag.se")
    lead = LeadFactory(
        owner=rep, first_name="Ola", last_name="Berg", company_name="Hamnbolaget", email="ola@hamnbolag.se"
    )
    client.force_login(rep)
    standard = Pipeline.objects.get(name="Standard")
    response = client.post(
        reverse("leads:lead_convert", args=[lead.pk]),
        {
            "company_choice": company.pk,
            "person_choice": NEW,
            "deal_pipeline": standard.pk,
            "deal_name": "Ramp",
        },
    )
    lead.refresh_from_db()
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    person, deal = lead.converted_person, lead.converted_deal
    assert message == (
        f'Lead Ola Berg converted: person <a href="{person.get_absolute_url()}">Ola Berg</a> created, '
        f'linked to company <a href="{company.get_absolute_url()}">Hamnbolaget AB</a>, '
        f'deal <a href="{deal.get_absolute_url()}">Ramp</a> created.'
    )
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="{company.get_absolute_url()}">Hamnbolaget AB</a>' in page


def test_a_linked_existing_person_is_named_as_linked(client, rep):
    person = PersonFactory(owner=rep, first_name="Kim", last_name="Ek", email="kim@ek.example")
    lead = LeadFactory(owner=rep, first_name="Kim", last_name="Ek", company_name="", email="kim@ek.example")
    client.force_login(rep)
    response = client.post(
        reverse("leads:lead_convert", args=[lead.pk]), {"company_choice": NONE, "person_choice": person.pk}
    )
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert (
        message
        == f'Lead Kim Ek converted: linked to person <a href="{person.get_absolute_url()}">Kim Ek</a>.'
    )


@pytest.mark.parametrize(
    ("company_name", "expected"),
    [("Ingen Träff Konsult", NEW), ("", NONE)],
)
def test_no_existing_company_is_preselected_without_a_real_match(rep, company_name, expected):
    CompanyFactory(owner=rep, name="Helt Annat Företag AB", email_domain="annat.se")
    lead = LeadFactory(owner=rep, company_name=company_name, email="x@gmail.com")
    form = convert_page_form(rep, lead)
    assert form["company_choice"].initial == expected


@pytest.mark.parametrize(
    ("lead_company", "lead_email"),
    [("Göteborgs Hamn", "a@nowhere.example"), ("Something Else", "a@goteborgshamn.se")],
)
def test_a_real_match_by_name_or_domain_is_preselected(rep, lead_company, lead_email):
    match = CompanyFactory(owner=rep, name="Göteborgs Hamn AB", email_domain="goteborgshamn.se")
    lead = LeadFactory(owner=rep, company_name=lead_company, email=lead_email)
    assert convert_page_form(rep, lead)["company_choice"].initial == str(match.pk)
