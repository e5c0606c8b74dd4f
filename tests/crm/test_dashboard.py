import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from crm.dashboard import _quarter_bounds, dashboard_figures
from opportunities.models import Stage
from tests.factories import DealFactory, LeadFactory


def test_quarter_bounds_cover_the_whole_quarter():
    assert _quarter_bounds(datetime.date(2026, 11, 23)) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert _quarter_bounds(datetime.date(2026, 2, 28)) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )


def test_the_dashboard_sums_the_users_deals_of_this_quarter_per_currency(client, rep, rep_other_team):
    today = timezone.localdate()
    DealFactory(owner=rep, value=Decimal(1000), currency="EUR", expected_close_date=today)  # Prospect, 10 %
    DealFactory(owner=rep, value=Decimal(500), currency="SEK", expected_close_date=today, probability=50)
    won = Stage.objects.get(pipeline__name="Standard", kind="won")
    DealFactory(owner=rep, value=Decimal(300), currency="EUR", stage=won, closed_on=today)
    DealFactory(owner=rep_other_team, value=Decimal(9999), currency="EUR", expected_close_date=today)
    LeadFactory(owner=rep)
    figures = dashboard_figures(user=rep)
    rows = {row["currency"]: row for row in figures["deals_by_currency"]}
    assert (rows["EUR"]["open_count"], rows["EUR"]["projected"], rows["EUR"]["weighted"], rows["EUR"]["won"]) == (
        1, Decimal(1000), Decimal(100), Decimal(300),
    )  # fmt: skip
    assert rows["SEK"]["weighted"] == Decimal(250)
    assert figures["open_leads"] == 1
    client.force_login(rep)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="quarter-deals"' in page
