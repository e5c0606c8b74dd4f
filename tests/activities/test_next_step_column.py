"""The next-step column that activities adds to the company and deal lists (crm.listings): each
row's earliest open to-do or meeting the viewer may see, "no next step" on an open record without
one, nothing on a closed deal; its HTML is the badge template's, written in Python."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from activities.models import Activity
from activities.panels import MISSING, next_step_cell
from crm.models import User
from opportunities.models import Stage
from tests.factories import ActivityFactory, CompanyFactory, DealFactory

pytestmark = pytest.mark.django_db


def todo(owner, subject: str, due_at=None, **links) -> Activity:
    return ActivityFactory(owner=owner, subject=subject, due_at=due_at, **links)


@pytest.mark.parametrize(
    "make_value",
    [
        lambda: MISSING,
        lambda: None,
        lambda: Activity(subject='Call <Åsa> & "Bo"', due_at=None),
        lambda: Activity(subject="Send offer", due_at=timezone.now() + datetime.timedelta(days=2)),
        lambda: Activity(subject="Overdue call", due_at=timezone.now() - datetime.timedelta(days=2)),
        lambda: Activity(
            subject="Late evening", due_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
        ),
    ],
    ids=["missing", "none", "escaped-no-date", "due", "overdue", "date-in-local-time"],
)
@pytest.mark.parametrize("language", ["en", "sv", "hu"])
def test_the_cell_is_the_badge_template(make_value, language):
    value = make_value()
    with translation.override(language):
        expected = render_to_string("activities/next_step_badge.html", {"value": value, "record": None})
        assert next_step_cell(value) == expected.rstrip("\n")


def test_the_company_list_shows_each_rows_next_step(client, rep, personas):
    busy = CompanyFactory(owner=rep, name="Busy AB")
    CompanyFactory(owner=rep, name="Idle AB")
    todo(rep, "Later call", timezone.now() + datetime.timedelta(days=5), company=busy)
    todo(rep, "First call", timezone.now() + datetime.timedelta(days=1), company=busy)
    client.force_login(rep)
    response = client.get(reverse("contacts:company_list"))
    html = response.content.decode()
    assert '<th class="d-none d-md-table-cell">Next step</th>' in html
    [busy_row] = [row for row in html.split("<tr>") if "Busy AB" in row]
    assert "First call" in busy_row and "Later call" not in busy_row
    [idle_row] = [row for row in html.split("<tr>") if "Idle AB" in row]
    assert 'data-testid="no-next-step"' in idle_row


def test_the_deal_list_shows_next_steps_and_nothing_on_closed_deals(client, rep, personas):
    open_deal = DealFactory(owner=rep, name="Open deal")
    won_stage = open_deal.pipeline.stages.get(kind=Stage.Kind.WON)
    closed = DealFactory(owner=rep, name="Won deal", stage=won_stage, closed_on=timezone.localdate())
    DealFactory(owner=rep, name="Quiet deal")
    todo(rep, "Demo meeting", timezone.now() + datetime.timedelta(days=1), deal=open_deal)
    client.force_login(rep)
    html = client.get(reverse("opportunities:deal_list")).content.decode()
    rows = {
        name: row
        for row in html.split("<tr>")
        for name in ("Open deal", "Won deal", "Quiet deal")
        if name in row
    }
    assert "Demo meeting" in rows["Open deal"]
    assert 'data-testid="no-next-step"' in rows["Quiet deal"]
    assert "next-step" not in rows["Won deal"]
    assert closed.closed_on is not None


def test_a_to_do_the_viewer_may_not_see_is_not_shown(client, rep, personas, reps_see_only_own):
    """The column follows the activity's visibility: a to-do on another team's deal of a company
    the rep sees is the deal's, hidden from the rep."""
    company = CompanyFactory(owner=rep, name="Shared AB")
    hidden_deal = DealFactory(owner=personas.rep_other_team, team=personas.south, company=company)
    secret = ActivityFactory(
        owner=personas.rep_other_team, subject="Secret plan", company=company, deal=hidden_deal
    )
    assert not Activity.objects.visible_to(rep).filter(pk=secret.pk).exists()
    client.force_login(rep)
    html = client.get(reverse("contacts:company_list")).content.decode()
    [row] = [row for row in html.split("<tr>") if "Shared AB" in row]
    assert "Secret plan" not in row and 'data-testid="no-next-step"' in row


def test_without_permission_to_view_activities_there_is_no_column(client, rep, personas):
    CompanyFactory(owner=rep, name="Any AB")
    client.force_login(rep)
    assert "Next step" in client.get(reverse("contacts:company_list")).content.decode()
    permission = Permission.objects.get(codename="view_activity", content_type__app_label="activities")
    for group in Group.objects.filter(permissions=permission):
        group.permissions.remove(permission)
    assert not User.objects.get(pk=rep.pk).has_perm("activities.view_activity")
    for url in (reverse("contacts:company_list"), reverse("opportunities:deal_list")):
        html = client.get(url).content.decode()
        assert "Next step" not in html and "no-next-step" not in html
