"""Marketing's core pages through the client: who may open them, forms that refuse bad input
without a 500 or a half-saved record, the campaign page's results and chart, the card panels,
and the query counts of the lists and the campaign page."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from activities.models import Activity
from marketing import attribution, scoring
from marketing.models import (
    Campaign,
    CampaignTask,
    Grade,
    MarketingPlan,
    MarketingSettings,
    ScoreKind,
    ScoreRule,
)
from tests.factories import DealFactory, LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db


def campaign_post(**changes):
    return {
        "name": "Fair 2026",
        "kind": "trade_show",
        "status": "planned",
        "budget": "1000",
        "actual_cost": "0",
        "target_leads": "10",
        "target_revenue": "0",
        **changes,
    }


def test_a_manager_creates_a_campaign(client, manager):
    client.force_login(manager)
    response = client.post(reverse("marketing:campaign_create"), campaign_post(owner=manager.pk))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert campaign.owner == manager


@pytest.mark.parametrize(
    "bad",
    [
        {"starts_on": "2026-05-01", "ends_on": "2026-04-01"},
        {"actual_cost": "-5"},
        {"budget": "abc"},
        {"target_leads": "-1"},
        {"name": ""},
        {"plan": "999999"},
    ],
)
def test_a_campaign_form_with_bad_input_answers_with_errors_and_saves_nothing(client, manager, bad):
    client.force_login(manager)
    response = client.post(reverse("marketing:campaign_create"), campaign_post(**bad))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_plan_form_refuses_an_end_before_the_start(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("marketing:plan_create"),
        {"name": "P", "starts_on": "2026-12-01", "ends_on": "2026-01-01", "budget": "1", "target_leads": "0",
         "target_revenue": "0"},
    )  # fmt: skip
    assert "ends_on" in response.context["form"].errors
    assert not MarketingPlan.objects.exists()


def test_a_rep_without_the_marketing_permission_gets_403(client, rep):
    client.force_login(rep)
    assert client.get(reverse("marketing:campaign_list")).status_code == 403
    assert client.post(reverse("marketing:campaign_create"), campaign_post()).status_code == 403
    assert not Campaign.objects.exists()


def test_the_campaign_page_shows_results_and_an_inline_svg_chart(client, manager):
    campaign = Campaign.objects.create(name="Fair", actual_cost=Decimal(100), target_leads=4, owner=manager)
    for _ in range(2):
        attribution.attribute(LeadFactory(), campaign)
    client.force_login(manager)
    response = client.get(campaign.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["results"].leads == 2
    assert response.context["results"].cost_per_lead == Decimal(50)
    assert '<svg data-testid="campaign-chart"' in html
    assert 'width="150"' in html  # two of four leads: half of the 300-unit bar
    assert "<script" not in html.split('data-testid="campaign-chart"')[1].split("</svg>")[0]


def test_the_campaign_page_names_no_lead_or_deal_hidden_from_the_viewer(
    client, restricted, manager, personas
):
    restricted.user_permissions.add(perm("manage_marketing"))
    campaign = Campaign.objects.create(name="Fair", owner=restricted)
    hidden = LeadFactory(last_name="Secretlead", owner=personas.rep)
    attribution.attribute(hidden, campaign)
    attribution.attribute(DealFactory(name="Secretdeal", owner=personas.rep), campaign)
    client.force_login(restricted)
    response = client.get(campaign.get_absolute_url())
    assert response.status_code == 200
    assert response.context["results"].leads == 1  # counted, not named
    assert b"Secretlead" not in response.content and b"Secretdeal" not in response.content


def perm(codename):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="marketing", codename=codename)


def test_the_campaign_page_query_count_does_not_grow_with_its_leads_and_tasks(client, manager):
    campaign = Campaign.objects.create(name="Fair", owner=manager, plan=MarketingPlan.objects.create(
        name="P", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 2, 1)))  # fmt: skip
    client.force_login(manager)

    def grow(count):
        for number in range(count):
            attribution.attribute(LeadFactory(), campaign)
            attribution.attribute(DealFactory(), campaign)
            activity = Activity.objects.create(subject=f"Task {number}", owner=manager)
            CampaignTask.objects.create(campaign=campaign, activity=activity)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(campaign.get_absolute_url()).status_code == 200
        return len(captured)

    grow(2)
    queries()  # the first request of a session reads what later ones find cached
    small = queries()
    grow(25)
    assert queries() == small


@pytest.mark.parametrize("name", ["marketing:campaign_list", "marketing:plan_list"])
def test_the_lists_query_count_does_not_grow_with_rows(client, manager, name):
    client.force_login(manager)
    plan = MarketingPlan.objects.create(
        name="P", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 2, 1)
    )

    def grow(count):
        for number in range(count):
            MarketingPlan.objects.create(
                name=f"P{number}", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 2, 1)
            )
            campaign = Campaign.objects.create(name=f"C{number}", plan=plan, owner=manager)
            attribution.attribute(LeadFactory(), campaign)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured)

    grow(2)
    queries()  # the first request of a session reads what later ones find cached
    small = queries()
    grow(10)
    assert queries() == small


def test_the_campaign_list_filters_by_kind_status_and_plan(client, manager):
    plan = MarketingPlan.objects.create(
        name="P", starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 2, 1)
    )
    fair = Campaign.objects.create(name="Fair", kind="trade_show", status="active", plan=plan)
    Campaign.objects.create(name="Mag", kind="magazine", status="active")
    Campaign.objects.create(name="Old fair", kind="trade_show", status="completed")
    client.force_login(manager)
    response = client.get(reverse("marketing:campaign_list"), {"kind": "trade_show", "status": "active"})
    assert list(response.context["page"].object_list) == [fair]
    response = client.get(reverse("marketing:campaign_list"), {"plan": plan.pk})
    assert list(response.context["page"].object_list) == [fair]
    assert client.get(reverse("marketing:campaign_list"), {"plan": "x", "kind": "<svg>"}).status_code == 200


def test_a_task_is_added_to_a_campaign_from_its_page(client, manager):
    campaign = Campaign.objects.create(name="Fair", owner=manager)
    client.force_login(manager)
    client.post(reverse("marketing:campaign_task_create", args=[campaign.pk]), {"subject": "Ship the kit"})
    assert CampaignTask.objects.get(campaign=campaign).activity.subject == "Ship the kit"
    client.post(reverse("marketing:campaign_task_create", args=[campaign.pk]), {"subject": "", "due_at": "x"})
    assert CampaignTask.objects.count() == 1


def test_a_manager_sets_a_leads_campaign_from_its_card(client, manager):
    lead, campaign = LeadFactory(owner=manager), Campaign.objects.create(name="Fair", owner=manager)
    client.force_login(manager)
    card = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="marketing-panel"' in card
    assert reverse("marketing:record_campaign_set", args=["lead", lead.pk]) in card
    response = client.post(
        reverse("marketing:record_campaign_set", args=["lead", lead.pk]), {"campaign": campaign.pk}
    )
    assert response.status_code == 302
    assert attribution.campaigns_of(lead) == {"first": campaign}


def test_setting_a_campaign_refuses_an_unknown_kind_and_a_missing_campaign(client, manager):
    lead = LeadFactory(owner=manager)
    client.force_login(manager)
    assert (
        client.post(reverse("marketing:record_campaign_set", args=["company", lead.pk]), {}).status_code
        == 404
    )
    response = client.post(
        reverse("marketing:record_campaign_set", args=["lead", lead.pk]), {"campaign": "nope"}
    )
    assert response.status_code == 302
    assert attribution.campaigns_of(lead) == {}


def test_the_person_card_shows_score_grade_events_and_campaigns(client, manager):
    person = PersonFactory(owner=manager)
    campaign = Campaign.objects.create(name="Spring newsletter")
    scoring.record_event(kind=ScoreKind.FORM_SUBMITTED, person=person, campaign=campaign)
    attribution.attribute(person, campaign)
    Grade.objects.all().delete()
    Grade.objects.create(label="Warm", min_score=5)
    scoring.regrade_all()
    client.force_login(manager)
    html = client.get(person.get_absolute_url()).content.decode()
    assert 'data-testid="marketing-score">10<' in html
    assert 'data-testid="marketing-grade">Warm<' in html
    assert "Spring newsletter" in html


def test_a_card_names_no_campaign_hidden_from_the_viewer(client, restricted, manager):
    person = PersonFactory(owner=restricted)
    hidden = Campaign.objects.create(name="Hidden fair", owner=manager)
    shown = Campaign.objects.create(name="Own mailing", owner=restricted)
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person, campaign=hidden)
    attribution.attribute(person, hidden)
    attribution.attribute(person, shown, converting=True)
    client.force_login(restricted)
    html = client.get(person.get_absolute_url()).content.decode()
    assert "Own mailing" in html
    assert "Hidden fair" not in html


def test_the_deal_card_shows_its_campaign(client, manager):
    deal = DealFactory(owner=manager)
    attribution.attribute(deal, Campaign.objects.create(name="Trade fair Malmo"))
    client.force_login(manager)
    assert b"Trade fair Malmo" in client.get(deal.get_absolute_url()).content


def test_the_lead_list_filters_by_grade(client, manager):
    hot, cold = LeadFactory(owner=manager), LeadFactory(owner=manager)
    hot.grade, cold.grade = "A", "D"
    hot.save(), cold.save()
    client.force_login(manager)
    response = client.get(reverse("leads:lead_list"), {"grade": "A"})
    shown = list(response.context["page"].object_list)
    assert hot in shown and cold not in shown


# -- Scoring and mail settings: the Administrators' ----------------------------------------------


def test_scoring_and_mail_settings_are_for_administrators(client, manager, admin):
    client.force_login(manager)
    assert client.get(reverse("marketing:scoring_settings")).status_code == 403
    assert client.get(reverse("marketing:mail_settings")).status_code == 403
    client.force_login(admin)
    page = client.get(reverse("marketing:scoring_settings"))
    assert page.status_code == 200
    assert b"future events only" in page.content


def points_post(**changes):
    data = {kind.value: str(points) for kind, points in {k: scoring.points_for(k) for k in ScoreKind}.items()}
    return {"save_points": "1", **data, **changes}


def test_an_administrator_changes_the_points(client, admin):
    client.force_login(admin)
    response = client.post(reverse("marketing:scoring_settings"), points_post(link_clicked="7"))
    assert response.status_code == 302
    assert ScoreRule.objects.get(kind="link_clicked").points == 7


@pytest.mark.parametrize("value", ["1001", "-1001", "five", ""])
def test_points_out_of_range_or_not_numbers_are_refused(client, admin, value):
    client.force_login(admin)
    response = client.post(
        reverse("marketing:scoring_settings"), points_post(link_clicked=value, email_opened="2")
    )
    assert response.status_code == 400
    assert ScoreRule.objects.get(kind="email_opened").points == 0


def grades_post(rows):
    data = {"save_grades": "1", "grades-TOTAL_FORMS": str(len(rows)), "grades-INITIAL_FORMS": "0"}
    for index, (label, score) in enumerate(rows):
        data[f"grades-{index}-label"] = label
        data[f"grades-{index}-min_score"] = score
    return data


def test_an_administrator_replaces_the_grades_and_leads_are_regraded(client, admin):
    lead = LeadFactory()
    scoring.record_event(kind=ScoreKind.FORM_SUBMITTED, lead=lead)
    client.force_login(admin)
    response = client.post(reverse("marketing:scoring_settings"), grades_post([("Hot", "8"), ("Cold", "0")]))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.grade == "Hot"


@pytest.mark.parametrize(
    "rows", [[("A", "5"), ("B", "5")], [("A", "5"), ("A", "1")], [("A", "x")], [], [("A", "99999999999")]]
)
def test_bad_grades_are_refused_and_the_old_ones_stay(client, admin, rows):
    before = set(Grade.objects.values_list("label", "min_score"))
    client.force_login(admin)
    response = client.post(reverse("marketing:scoring_settings"), grades_post(rows))
    assert response.status_code == 400
    assert set(Grade.objects.values_list("label", "min_score")) == before


def image_file(kind="PNG", size=(10, 10), name="logo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue())


def settings_post(**changes):
    return {
        "default_sender": "news@example.com",
        "company_name": "Fjord AB",
        "score_decay_percent": "5",
        **changes,
    }


def test_an_administrator_saves_the_mail_settings_with_a_logo(client, admin, media_root):
    client.force_login(admin)
    response = client.post(reverse("marketing:mail_settings"), settings_post(company_logo=image_file()))
    assert response.status_code == 302
    stored = MarketingSettings.load()
    assert stored.company_name == "Fjord AB" and stored.score_decay_percent == 5
    assert stored.company_logo.name.startswith("marketing/")


@pytest.mark.parametrize(
    "changes",
    [
        {"company_logo": SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>")},  # not an image
        {"company_logo": SimpleUploadedFile("logo.png", b"")},
        {"company_logo": "BIG"},
        {"company_logo": "HUGE_PIXELS"},
        {"company_logo": "BMP"},
        {"default_sender": "not an address"},
        {"score_decay_percent": "101"},
        {"score_decay_percent": "-1"},
    ],
)
def test_bad_mail_settings_are_refused_and_nothing_is_saved(client, admin, media_root, changes):
    if changes.get("company_logo") == "BIG":
        changes["company_logo"] = SimpleUploadedFile("logo.png", image_file().read() + b"\0" * (1024 * 1024))
    elif changes.get("company_logo") == "HUGE_PIXELS":
        changes["company_logo"] = image_file(size=(2500, 10))
    elif changes.get("company_logo") == "BMP":
        changes["company_logo"] = image_file(kind="BMP", name="logo.bmp")
    client.force_login(admin)
    response = client.post(reverse("marketing:mail_settings"), settings_post(**changes))
    assert response.status_code == 400
    stored = MarketingSettings.load()
    assert stored.company_name == "" and not stored.company_logo
