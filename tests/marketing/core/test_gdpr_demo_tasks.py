"""Marketing's personal data in gdpr (anonymised with the person, in the subject-access export),
the demo data, and the daily decay task."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from gdpr import services as gdpr_services
from gdpr.exports import subject_access_data
from leads.models import Lead
from marketing import attribution, scoring, tasks
from marketing.demo import demo_marketing_ensure
from marketing.models import (
    Attribution,
    Campaign,
    MarketingPlan,
    MarketingSettings,
    PersonScore,
    ScoreEvent,
    ScoreKind,
)
from tests.factories import LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_anonymising_a_person_clears_the_details_of_their_score_events(admin):
    person = PersonFactory(first_name="Greta", last_name="Lindqvist", email="greta@fjord.example")
    other = PersonFactory()
    scoring.record_event(kind=ScoreKind.PAGE_VISITED, person=person, detail="greta@fjord.example /pricing")
    scoring.record_event(kind=ScoreKind.PAGE_VISITED, person=other, detail="/pricing")
    gdpr_services.record_anonymise(actor=admin, record=person)
    assert ScoreEvent.objects.get(person=person).detail == ""
    assert ScoreEvent.objects.get(person=other).detail == "/pricing"


def test_the_subject_access_export_holds_score_events_score_and_campaigns(admin):
    person = PersonFactory()
    campaign = Campaign.objects.create(name="Spring fair")
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person, detail="/offer")
    attribution.attribute(person, campaign)
    # A lead's attribution with the person's id is not the person's.
    Attribution.objects.create(
        campaign=Campaign.objects.create(name="Other fair"),
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=person.pk,
        touch="first",
    )
    linked = subject_access_data(actor=admin, record=person)["linked"]
    assert "/offer" in str(linked["Score events"]["records"])
    assert len(linked["Score"]["records"]) == 1
    campaigns = linked["Campaigns"]["records"]
    assert len(campaigns) == 1 and "Spring fair" in str(campaigns[0])


def test_erasing_a_person_removes_their_score_and_events():
    person = PersonFactory()
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    person.delete()
    assert not PersonScore.objects.exists() and not ScoreEvent.objects.exists()


def test_the_demo_data_has_a_plan_four_campaigns_with_costs_and_scored_attributed_leads(admin, manager):
    for _ in range(12):
        LeadFactory()
    assert demo_marketing_ensure(users={"admin": admin, "manager": manager}) == 4
    assert MarketingPlan.objects.count() == 1
    assert set(Campaign.objects.values_list("kind", flat=True)) == {"trade_show", "magazine", "email", "web"}
    assert all(campaign.actual_cost > 0 for campaign in Campaign.objects.all())
    assert Attribution.objects.filter(touch="first").count() >= 12
    assert ScoreEvent.objects.exists()
    assert Lead.objects.exclude(grade="").exists()
    demo_marketing_ensure(users={"admin": admin, "manager": manager})  # again: nothing more
    assert MarketingPlan.objects.count() == 1 and Campaign.objects.count() == 4


def test_the_daily_task_decays_scores():
    person = PersonFactory()
    scoring.record_event(kind=ScoreKind.FORM_SUBMITTED, person=person)  # 10
    MarketingSettings.objects.update_or_create(
        pk=1,
        defaults={
            "score_decay_percent": 20,
            "scores_decayed_on": datetime.date.today() - datetime.timedelta(days=31),
        },
    )
    assert tasks.scores_decay.apply().get() == 1
    assert PersonScore.objects.get(person=person).score == 8


def test_the_bench_seed_attributes_every_lead_and_scores_people(admin):
    from marketing.bench import bench_marketing_seed

    leads = [LeadFactory() for _ in range(6)]
    PersonFactory()
    made = bench_marketing_seed(admin=admin, campaigns=5, events=40, people=10)
    assert made["campaigns"] == 5
    assert Attribution.objects.filter(touch="first", object_id__in=[lead.pk for lead in leads]).count() == 6
    assert ScoreEvent.objects.count() == 40 and PersonScore.objects.exists()
    assert bench_marketing_seed(admin=admin) == {}  # once
