"""The clock frozen at the edges where dates go wrong: quarter ends, the year end and the nights the
clocks change in Stockholm and Budapest (last Sunday of March and of October).

Each moment is local wall-clock time. Half an hour after local midnight it is still the day before in
UTC, so code that takes the date in UTC instead of the local one lands in the wrong quarter or year.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm.dashboard import dashboard_figures
from opportunities.board import selectors as board
from opportunities.board.forms import BoardFilterForm
from opportunities.models import Pipeline, Stage
from opportunities.sales import services as sales
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

ZONES = ["Europe/Stockholm", "Europe/Budapest"]
D = datetime.date

# (local wall-clock moment, the local date, the quarter (first day, last day) that date is in)
EDGES = [
    pytest.param((2026, 3, 31, 23, 59, 59), D(2026, 3, 31), (D(2026, 1, 1), D(2026, 3, 31)), id="Q1-last-second"),
    pytest.param((2026, 4, 1, 0, 30), D(2026, 4, 1), (D(2026, 4, 1), D(2026, 6, 30)), id="Q2-first-half-hour"),
    pytest.param((2026, 6, 30, 23, 59, 59), D(2026, 6, 30), (D(2026, 4, 1), D(2026, 6, 30)), id="Q2-last-second"),
    pytest.param((2026, 7, 1, 0, 30), D(2026, 7, 1), (D(2026, 7, 1), D(2026, 9, 30)), id="Q3-first-half-hour"),
    pytest.param((2026, 9, 30, 23, 59, 59), D(2026, 9, 30), (D(2026, 7, 1), D(2026, 9, 30)), id="Q3-last-second"),
    pytest.param((2026, 10, 1, 0, 30), D(2026, 10, 1), (D(2026, 10, 1), D(2026, 12, 31)), id="Q4-first-half-hour"),
    pytest.param((2026, 12, 31, 23, 59, 59), D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31)), id="year-last-second"),
    pytest.param((2027, 1, 1, 0, 0, 0), D(2027, 1, 1), (D(2027, 1, 1), D(2027, 3, 31)), id="new-year-midnight"),
    pytest.param((2027, 1, 1, 0, 30), D(2027, 1, 1), (D(2027, 1, 1), D(2027, 3, 31)), id="new-year-half-hour"),
    # Spring forward: 02:00 becomes 03:00 on 29 March 2026.
    pytest.param((2026, 3, 29, 1, 59, 59), D(2026, 3, 29), (D(2026, 1, 1), D(2026, 3, 31)), id="spring-before"),
    pytest.param((2026, 3, 29, 3, 0, 0), D(2026, 3, 29), (D(2026, 1, 1), D(2026, 3, 31)), id="spring-after"),
    # Fall back: 03:00 becomes 02:00 on 25 October 2026, so 02:30 happens twice.
    pytest.param((2026, 10, 25, 2, 30, 0, 0), D(2026, 10, 25), (D(2026, 10, 1), D(2026, 12, 31)), id="fall-first-0230"),
    pytest.param((2026, 10, 25, 2, 30, 0, 1), D(2026, 10, 25), (D(2026, 10, 1), D(2026, 12, 31)), id="fall-second-0230"),
    pytest.param((2026, 10, 24, 23, 59, 59), D(2026, 10, 24), (D(2026, 10, 1), D(2026, 12, 31)), id="fall-eve"),
]  # fmt: skip


def local_moment(parts, zone_name):
    year, month, day, hour, minute, *rest = parts
    second = rest[0] if rest else 0
    fold = rest[1] if len(rest) > 1 else 0
    zone = zoneinfo.ZoneInfo(zone_name)
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)


@pytest.fixture(params=ZONES)
def zone(request, settings):
    settings.TIME_ZONE = request.param
    with timezone.override(zoneinfo.ZoneInfo(request.param)):
        yield request.param


@pytest.fixture
def frozen(zone):
    """travel(parts): freeze the clock at that local wall-clock time in the zone under test."""
    travels = []

    def travel(parts):
        if travels:
            travels.pop().stop()
        traveller = time_machine.travel(local_moment(parts, zone), tick=False)
        traveller.start()
        travels.append(traveller)

    yield travel
    for traveller in travels:
        traveller.stop()


def test_the_frozen_moment_is_the_one_asked_for(frozen, zone):
    frozen((2026, 10, 25, 2, 30, 0, 1))
    assert timezone.localtime().utcoffset() == datetime.timedelta(hours=1)  # the second 02:30 is winter time
    frozen((2026, 10, 25, 2, 30, 0, 0))
    assert timezone.localtime().utcoffset() == datetime.timedelta(hours=2)


# -- Quote and order numbers: one sequence a year, the local year -----------------------------------


@pytest.fixture
def quotable_deal(rep, media_root):
    deal = DealFactory(name="Archive scan", owner=rep)
    sales.deal_line_add(
        actor=rep,
        deal=deal,
        values={"description": "Work", "quantity": Decimal(1), "unit_price": Decimal(10)},
    )
    return deal


YEAR_EDGES = [
    "year-last-second",
    "new-year-midnight",
    "new-year-half-hour",
    "spring-after",
    "fall-second-0230",
]


@pytest.mark.parametrize("parts", [edge.values[0] for edge in EDGES if edge.id in YEAR_EDGES])
def test_a_quote_takes_the_local_year_into_its_number(frozen, quotable_deal, rep, parts):
    frozen(parts)
    quote = sales.quote_create(actor=rep, deal=quotable_deal)
    assert quote.number == f"Q-{parts[0]}-0001"


def test_numbering_starts_again_at_one_in_the_new_year_and_goes_on_in_the_old(frozen, quotable_deal, rep):
    frozen((2026, 12, 31, 23, 59, 58))
    assert sales.quote_create(actor=rep, deal=quotable_deal).number == "Q-2026-0001"
    assert sales.quote_create(actor=rep, deal=quotable_deal).number == "Q-2026-0002"
    frozen((2027, 1, 1, 0, 0, 1))
    assert sales.quote_create(actor=rep, deal=quotable_deal).number == "Q-2027-0001"
    frozen((2027, 1, 1, 0, 30))  # still 31 December in UTC
    assert sales.quote_create(actor=rep, deal=quotable_deal).number == "Q-2027-0002"


@pytest.mark.parametrize("parts", [(2026, 12, 31, 23, 59, 59), (2027, 1, 1, 0, 30)])
def test_a_sales_order_takes_the_local_year_into_its_number(frozen, quotable_deal, rep, parts):
    frozen(parts)
    won = quotable_deal.pipeline.stages.get(kind=Stage.Kind.WON)
    type(quotable_deal).objects.filter(pk=quotable_deal.pk).update(stage=won)
    quotable_deal.refresh_from_db()
    order = sales.sales_order_for_won_deal(actor=rep, deal=quotable_deal)
    assert order.number == f"SO-{parts[0]}-0001"


# -- The board's periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(("parts", "day", "quarter"), EDGES)
def test_the_boards_default_period_is_the_local_quarter(frozen, rep, parts, day, quarter):
    frozen(parts)
    form = BoardFilterForm({"pipeline": Pipeline.objects.get(name="Standard").pk}, user=rep)
    assert form.is_valid(), form.errors
    query = form.board_query()
    assert (query.start, query.end) == quarter


@pytest.mark.parametrize(("parts", "day", "quarter"), EDGES)
def test_the_boards_month_and_year_are_the_local_ones(frozen, parts, day, quarter):
    frozen(parts)
    today = timezone.localdate()
    assert today == day
    month_end = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    assert board.period_range(board.PERIOD_MONTH, today=today) == (day.replace(day=1), month_end)
    assert board.period_range(board.PERIOD_YEAR, today=today) == (D(day.year, 1, 1), D(day.year, 12, 31))


# -- Sales targets: the period the page shows by default -------------------------------------------


@pytest.mark.parametrize(("parts", "day", "quarter"), EDGES)
def test_the_targets_page_shows_the_local_month_and_quarter(client, frozen, manager, parts, day, quarter):
    frozen(parts)
    client.force_login(manager)
    month_end = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    shown = client.get(reverse("opportunities:targets")).content.decode()
    assert f"{day.replace(day=1):%Y-%m-%d} – {month_end:%Y-%m-%d}" in shown
    shown = client.get(
        reverse("opportunities:targets"), {"kind": "quarter", "month": f"{day:%Y-%m}"}
    ).content.decode()
    assert f"{quarter[0]:%Y-%m-%d} – {quarter[1]:%Y-%m-%d}" in shown


# -- The dashboard's quarter -----------------------------------------------------------------------


@pytest.mark.parametrize(("parts", "day", "quarter"), EDGES)
def test_the_dashboard_counts_deals_closing_on_the_quarters_first_and_last_day(
    frozen, rep, parts, day, quarter
):
    frozen(parts)
    first, last = quarter
    won = Stage.objects.get(pipeline__name="Standard", kind=Stage.Kind.WON)
    DealFactory(owner=rep, value=Decimal(1), currency="EUR", stage=won, closed_on=first)
    DealFactory(owner=rep, value=Decimal(10), currency="EUR", stage=won, closed_on=last)
    DealFactory(
        owner=rep, value=Decimal(100), currency="EUR", stage=won, closed_on=first - datetime.timedelta(1)
    )
    DealFactory(
        owner=rep, value=Decimal(1000), currency="EUR", stage=won, closed_on=last + datetime.timedelta(1)
    )
    DealFactory(owner=rep, value=Decimal(2), currency="EUR", expected_close_date=first)
    DealFactory(owner=rep, value=Decimal(20), currency="EUR", expected_close_date=last)
    DealFactory(
        owner=rep, value=Decimal(200), currency="EUR", expected_close_date=last + datetime.timedelta(1)
    )

    figures = dashboard_figures(user=rep)

    assert figures["quarter"] == quarter
    [eur] = figures["deals_by_currency"]
    assert (eur["won"], eur["open_count"], eur["projected"]) == (Decimal(11), 2, Decimal(22))


def test_the_dashboard_page_names_the_local_quarter(client, frozen, rep):
    frozen((2027, 1, 1, 0, 30))  # 31 December in UTC
    client.force_login(rep)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Your deals this quarter (2027-01-01 – 2027-03-31)" in page
