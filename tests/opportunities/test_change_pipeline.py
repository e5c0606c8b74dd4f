"""Seed 001, "register the business process under a different project": a deal moves to another
pipeline from its card, landing on a stage of it through that pipeline's gates."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from contacts.models import Sector
from crm.models import AuditEvent
from opportunities.models import Deal, Pipeline, VolumeUnit
from opportunities.sales.models import SalesOrder
from tests.factories import CompanyFactory, DealFactory, PersonFactory

GOOD_NAME = "200GB - Movie soundfiles in different languages - preservation"


def stages(name):
    pipeline = Pipeline.objects.get(name=name)
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def standard_deal(rep):
    company = CompanyFactory(owner=rep)
    return DealFactory(
        pipeline=Pipeline.objects.get(name="Standard"),
        stage=stages("Standard")["Prospect"],
        owner=rep,
        name=GOOD_NAME,
        company=company,
        primary_contact=PersonFactory(owner=rep, company=company),
        expected_close_date=datetime.date(2027, 3, 31),
        value=Decimal(180000),
        volume_amount=Decimal(200),
        volume_unit=VolumeUnit.objects.get(name="GB"),
        sector=Sector.objects.get(name="Public"),
        use_case="Keep the court's records readable for 500 years.",
        description="Their archive law changes next year.",
    )


def change(client, deal, stage, version=None, criteria=()):
    return client.post(
        reverse("opportunities:deal_change_pipeline", args=[deal.pk]),
        {
            "stage": stage.pk,
            "version": deal.version if version is None else version,
            "criteria": [criterion.pk for criterion in criteria],
        },
    )


def test_a_deal_meeting_the_gates_moves_to_the_other_pipeline(client, rep, standard_deal):
    journey = stages("Business Development Journey")
    qualify = journey["Qualify"]
    client.force_login(rep)
    refused = change(client, standard_deal, qualify)
    assert refused.status_code == 422  # Identify's ticks are offered on the page
    for criterion in journey["Identify"].criteria.all():
        assert f'name="criteria" value="{criterion.pk}"' in refused.content.decode()
    response = change(client, standard_deal, qualify, criteria=journey["Identify"].criteria.all())
    assert response.status_code == 302
    standard_deal.refresh_from_db()
    assert (standard_deal.pipeline.name, standard_deal.stage, standard_deal.version) == (
        "Business Development Journey",
        qualify,
        2,
    )
    assert AuditEvent.objects.filter(verb="change pipeline", object_id=str(standard_deal.pk)).exists()


def test_a_deal_lacking_what_the_stages_need_stays_and_is_told_what_is_missing(client, rep):
    deal = DealFactory(pipeline=Pipeline.objects.get(name="Standard"), owner=rep, name="An archive")
    client.force_login(rep)
    response = change(client, deal, stages("Business Development Journey")["Develop"])
    page = response.content.decode()
    assert response.status_code == 422
    assert "Qualify needs an estimated value." in page and "Develop: confirm that" in page
    deal.refresh_from_db()
    assert (deal.pipeline.name, deal.stage.name, deal.version) == ("Standard", "Prospect", 1)


def test_a_stage_of_the_same_pipeline_or_an_inactive_one_is_refused(client, rep, standard_deal):
    client.force_login(rep)
    response = change(client, standard_deal, stages("Standard")["Offer"])
    assert response.status_code == 302
    classic = Pipeline.objects.get(name="Classic")
    classic.is_active = False
    classic.save()
    assert change(client, standard_deal, classic.stages.first()).status_code == 404
    standard_deal.refresh_from_db()
    assert (standard_deal.stage.name, standard_deal.version) == ("Prospect", 1)


def test_a_stale_version_changes_nothing(client, rep, standard_deal):
    client.force_login(rep)
    change(client, standard_deal, stages("Business Development Journey")["Identify"], version=7)
    standard_deal.refresh_from_db()
    assert standard_deal.pipeline.name == "Standard"


def test_winning_through_another_pipeline_makes_the_sales_order(client, rep, standard_deal):
    client.force_login(rep)
    change(client, standard_deal, stages("Classic")["Closed won"])
    deal = Deal.objects.get(pk=standard_deal.pk)
    assert deal.stage.name == "Closed won" and deal.closed_on is not None
    assert SalesOrder.objects.filter(deal=deal).count() == 1


def test_the_card_offers_the_other_pipelines_to_those_who_may_edit(
    client, rep, rep_other_team, standard_deal
):
    client.force_login(rep)
    page = client.get(standard_deal.get_absolute_url()).content.decode()
    form = page.split('data-testid="change-pipeline"', 1)[1].split("</form>", 1)[0]
    assert '<optgroup label="Business Development Journey">' in form and '<optgroup label="Classic">' in form
    assert '<optgroup label="Standard">' not in form
    client.force_login(rep_other_team)
    assert (
        'data-testid="change-pipeline"' not in client.get(standard_deal.get_absolute_url()).content.decode()
    )
