"""Marketing's core services: plans and campaigns validated and audited, a campaign's results in
a few aggregate queries, attribution carried over on conversion, points and grades, decay."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEvent
from leads import services as lead_services
from leads.models import Lead
from marketing import attribution, scoring, selectors, services
from marketing.models import (
    Campaign,
    CampaignTask,
    Grade,
    MarketingPlan,
    MarketingSettings,
    PersonScore,
    ScoreEvent,
    ScoreKind,
    ScoreRule,
)
from opportunities.models import Pipeline
from tests.factories import DealFactory, LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


def plan_values(**changes):
    return {
        "name": "Plan 2026",
        "starts_on": datetime.date(2026, 1, 1),
        "ends_on": datetime.date(2026, 12, 31),
        "budget": Decimal(10000),
        **changes,
    }


def test_a_plan_is_created_with_an_audit_row(manager):
    plan = services.plan_create(actor=manager, values=plan_values())
    assert AuditEvent.objects.filter(verb="create", object_id=str(plan.pk), actor=manager).exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"ends_on": datetime.date(2025, 1, 1)},  # before the start
        {"budget": Decimal(-1)},
        {"name": ""},
    ],
)
def test_a_plan_with_bad_values_is_refused_and_nothing_is_saved(manager, bad):
    with pytest.raises(ValidationError):
        services.plan_create(actor=manager, values=plan_values(**bad))
    assert not MarketingPlan.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_campaign_with_a_negative_cost_is_refused(manager):
    with pytest.raises(ValidationError):
        services.campaign_create(actor=manager, values={"name": "Fair", "actual_cost": Decimal("-0.01")})
    assert not Campaign.objects.exists()


def test_a_campaign_update_writes_the_change_and_bumps_the_version(manager):
    campaign = services.campaign_create(actor=manager, values={"name": "Fair"})
    saved = services.campaign_update(
        actor=manager,
        campaign=campaign,
        changes={"actual_cost": Decimal(200)},
        expected_version=campaign.version,
    )
    assert saved.actual_cost == Decimal(200) and saved.version == campaign.version + 1
    assert AuditEvent.objects.filter(verb="update", object_id=str(campaign.pk)).exists()


def won_stage():
    return Pipeline.objects.get(name="Standard").stages.get(kind="won")


def test_campaign_results_count_leads_conversions_deals_won_value_cost_per_lead_and_roi():
    campaign = Campaign.objects.create(name="Fair", actual_cost=Decimal(1000), target_leads=8)
    other = Campaign.objects.create(name="Other")
    leads = [LeadFactory() for _ in range(4)]
    for lead in leads:
        attribution.attribute(lead, campaign)
    attribution.attribute(LeadFactory(), other)
    Lead.objects.filter(pk=leads[0].pk).update(status=Lead.Status.CONVERTED)
    won = DealFactory(value=Decimal(3000), stage=won_stage(), pipeline=won_stage().pipeline)
    open_deal = DealFactory(value=Decimal(9999))
    attribution.attribute(won, campaign)
    attribution.attribute(open_deal, campaign)
    with CaptureQueriesContext(connection) as queries:
        results = selectors.campaign_results(campaign)
    assert len(queries) <= 3
    assert (results.leads, results.converted_leads, results.deals, results.won_deals) == (4, 1, 2, 1)
    assert results.won_value == Decimal(3000)
    assert results.cost_per_lead == Decimal(250)
    assert results.roi == Decimal("200.0")  # (3000 - 1000) / 1000
    assert results.leads_progress == 50


def test_campaign_results_without_leads_or_cost_divide_by_nothing():
    results = selectors.campaign_results(Campaign.objects.create(name="Empty"))
    assert results.leads == 0
    assert results.cost_per_lead is None
    assert results.roi is None
    assert results.leads_progress is None
    assert results.conversion_rate is None


def test_converting_a_lead_carries_its_campaigns_to_the_person_and_deal(admin):
    lead = LeadFactory(company_name="Fjord Film AB", owner=admin)
    fair, mail = Campaign.objects.create(name="Fair"), Campaign.objects.create(name="Mail")
    attribution.attribute(lead, fair)
    attribution.attribute(lead, mail, converting=True)
    person, _company = lead_services.lead_convert(actor=admin, lead=lead, create_company=True)
    assert attribution.campaigns_of(person) == {"first": fair, "converting": mail}


def test_record_campaign_set_attributes_and_audits(manager):
    lead, campaign = LeadFactory(owner=manager), Campaign.objects.create(name="Fair")
    services.record_campaign_set(actor=manager, record=lead, campaign=campaign, converting=True)
    assert attribution.campaigns_of(lead) == {"first": campaign, "converting": campaign}
    assert AuditEvent.objects.filter(verb="attribute", object_id=str(lead.pk)).exists()


def test_record_campaign_set_refuses_a_record_the_actor_may_not_change(restricted, rep):
    lead, campaign = LeadFactory(owner=rep), Campaign.objects.create(name="Fair")
    with pytest.raises(ValidationError):
        services.record_campaign_set(actor=restricted, record=lead, campaign=campaign)
    assert attribution.campaigns_of(lead) == {}


def test_a_campaign_task_is_an_activity_filed_under_the_campaign(manager):
    campaign = Campaign.objects.create(name="Fair", owner=manager)
    activity = services.campaign_task_create(
        actor=manager, campaign=campaign, subject="Book booth", due_at=None
    )
    assert CampaignTask.objects.get(campaign=campaign).activity == activity
    assert activity.owner == manager
    assert [task.subject for task in selectors.campaign_tasks(user=manager, campaign=campaign)] == [
        "Book booth"
    ]


def test_new_points_apply_to_future_events_only(admin):
    person = PersonFactory()
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    services.score_rules_update(actor=admin, points={ScoreKind.LINK_CLICKED: 20})
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    assert sorted(ScoreEvent.objects.values_list("points", flat=True)) == [5, 20]
    assert PersonScore.objects.get(person=person).score == 25


@pytest.mark.parametrize("points", [1001, -1001])
def test_points_outside_the_sane_range_are_refused(admin, points):
    with pytest.raises(ValidationError):
        services.score_rules_update(
            actor=admin, points={ScoreKind.LINK_CLICKED: 5, ScoreKind.EMAIL_OPENED: points}
        )
    assert ScoreRule.objects.get(kind=ScoreKind.LINK_CLICKED).points == 5


def test_replacing_grades_regrades_every_scored_person_and_lead(admin):
    person, lead = PersonFactory(), LeadFactory()
    scoring.record_event(kind=ScoreKind.FORM_SUBMITTED, person=person, lead=lead)  # 10 points
    services.grades_replace(actor=admin, grades=[("hot", 10), ("cold", 0)])
    assert PersonScore.objects.get(person=person).grade == "hot"
    lead.refresh_from_db()
    assert lead.grade == "hot"
    assert set(Grade.objects.values_list("label", flat=True)) == {"hot", "cold"}


def test_duplicate_grade_thresholds_are_refused_and_the_old_grades_stay(admin):
    before = set(Grade.objects.values_list("label", "min_score"))
    with pytest.raises(ValidationError):
        services.grades_replace(actor=admin, grades=[("A", 10), ("B", 10)])
    assert set(Grade.objects.values_list("label", "min_score")) == before


def set_decay(percent, decayed_on):
    MarketingSettings.objects.update_or_create(
        pk=1, defaults={"score_decay_percent": percent, "scores_decayed_on": decayed_on}
    )


def test_decay_takes_the_monthly_percentage_per_30_days_and_keeps_integers():
    person, lead = PersonFactory(), LeadFactory()
    for _ in range(10):
        scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person, lead=lead)  # 50 points
    set_decay(10, DAY)
    assert services.scores_decay(today=DAY + datetime.timedelta(days=29)) == 0
    assert PersonScore.objects.get(person=person).score == 50
    assert services.scores_decay(today=DAY + datetime.timedelta(days=60)) == 2
    assert PersonScore.objects.get(person=person).score == 40  # trunc(50 × 0.9²) = trunc(40.5)
    lead.refresh_from_db()
    assert lead.score == 40
    assert MarketingSettings.load().scores_decayed_on == DAY + datetime.timedelta(days=60)


def test_decay_run_twice_on_the_same_day_decays_once():
    person = PersonFactory()
    for _ in range(4):
        scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)  # 20
    set_decay(50, DAY)
    later = DAY + datetime.timedelta(days=30)
    services.scores_decay(today=later)
    services.scores_decay(today=later)
    assert PersonScore.objects.get(person=person).score == 10


def test_decay_takes_negative_scores_toward_zero_and_regrades():
    person = PersonFactory()
    scoring.record_event(kind=ScoreKind.UNSUBSCRIBED, person=person)  # -3
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=PersonFactory())
    set_decay(50, DAY)
    services.scores_decay(today=DAY + datetime.timedelta(days=30))
    assert PersonScore.objects.get(person=person).score == -1  # trunc(-1.5)


def test_no_decay_at_zero_percent_but_the_clock_moves():
    person = PersonFactory()
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    set_decay(0, DAY)
    services.scores_decay(today=DAY + datetime.timedelta(days=90))
    assert PersonScore.objects.get(person=person).score == 5
    assert MarketingSettings.load().scores_decayed_on == DAY + datetime.timedelta(days=90)


def test_the_first_decay_run_starts_the_clock():
    set_decay(10, None)
    assert services.scores_decay(today=DAY) == 0
    assert MarketingSettings.load().scores_decayed_on == DAY


def test_settings_refuse_a_decay_over_100_percent(admin):
    with pytest.raises(ValidationError):
        services.settings_update(actor=admin, changes={"score_decay_percent": 101})
    assert MarketingSettings.load().score_decay_percent == 0
