"""One money format everywhere (issue 8, §5): crm.money and the `money` filter, and the same amount
reading the same way on the company card, the board, the deal card, the deals list and the dashboard."""

from decimal import Decimal

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from crm.money import format_amount, format_money
from opportunities.models import Pipeline
from opportunities.sales import services as sales
from tests.factories import CompanyFactory, DealFactory


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("90000"), "EUR", "90,000 EUR"),
        (Decimal("90000.00"), "EUR", "90,000 EUR"),  # a whole amount shows no cents
        (90000, "EUR", "90,000 EUR"),
        (90000.0, "EUR", "90,000 EUR"),
        ("90000", "EUR", "90,000 EUR"),
        (Decimal("1234.5"), "EUR", "1,234.50 EUR"),  # cents, when there are any, always two digits
        (Decimal("1234.05"), "SEK", "1,234.05 SEK"),
        (1234.5, "EUR", "1,234.50 EUR"),
        (0.1 + 0.2, "EUR", "0.30 EUR"),  # a float's binary error does not reach the cents
        (Decimal("1234.505"), "EUR", "1,234.51 EUR"),  # rounded half up to the cent
        (Decimal("1234.004"), "EUR", "1,234 EUR"),
        (Decimal("31500.000000"), "EUR", "31,500 EUR"),  # a weighted sum straight from the database
        (Decimal("999.99"), "HUF", "999.99 HUF"),
        (Decimal("1234567.89"), "EUR", "1,234,567.89 EUR"),
        (Decimal("99999999999999.99"), "EUR", "99,999,999,999,999.99 EUR"),
        (Decimal("0"), "EUR", "0 EUR"),
        (Decimal("-1234.5"), "EUR", "-1,234.50 EUR"),
        (Decimal("-90000"), "EUR", "-90,000 EUR"),
        (Decimal("-0.001"), "EUR", "0 EUR"),  # never "-0"
        (Decimal("90000"), "", "90,000"),  # no currency: only the amount (the column names it)
        (Decimal("90000"), None, "90,000"),
        (None, "EUR", ""),
        ("", "EUR", ""),
        ("abc", "EUR", ""),
        (float("nan"), "EUR", ""),
        (Decimal("Infinity"), "EUR", ""),
        (True, "EUR", ""),
    ],
)
def test_money_reads_grouped_with_cents_only_when_there_are_any_and_the_currency_after(
    amount, currency, expected
):
    with translation.override("en"):
        assert format_money(amount, currency) == expected


def test_the_amount_alone_follows_the_same_rule():
    with translation.override("en"):
        assert format_amount(Decimal("90000.00")) == "90,000"
        assert format_amount(Decimal("1234.5")) == "1,234.50"
        assert format_amount(None) == ""


def test_the_separators_follow_the_active_language():
    with translation.override("sv"):
        assert format_money(Decimal("90000.5"), "SEK") == "90\xa0000,50 SEK"


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("{{ value|money:currency }}", {"value": Decimal("90000.00"), "currency": "EUR"}, "90,000 EUR"),
        ("{{ value|money:'SEK' }}", {"value": Decimal("1234.5")}, "1,234.50 SEK"),
        ("{{ value|money }}", {"value": Decimal("1234.5")}, "1,234.50"),
        ('{{ value|money:currency|default:"—" }}', {"value": None, "currency": "EUR"}, "—"),
        ("{{ value|money:currency }}", {"value": 5, "currency": "<b>"}, "5 &lt;b&gt;"),  # escaped
    ],
)
def test_the_money_filter_renders_what_format_money_returns(source, context, expected):
    # Also how an administrator's quote or order template uses it: {% load crm_tags %} first.
    template = engines["django"].from_string("{% load crm_tags %}" + source)
    with translation.override("en"):
        assert template.render(context) == expected


# -- The same amount on every page ---------------------------------------------------------------

ONE_WAY = "90,000 EUR"
OTHER_WAYS = ["90000 EUR", "90,000.00 EUR", "90000.00 EUR"]


@pytest.fixture
def deal(rep):
    company = CompanyFactory(name="Riksarkivet", owner=rep)
    return DealFactory(
        name="3 TB - Personnel records - Preservation",
        company=company,
        owner=rep,
        value=Decimal("90000.00"),
        currency="EUR",
        expected_close_date=timezone.localdate(),
    )


def board_url():
    pipeline = Pipeline.objects.get(name="Standard")
    return reverse("opportunities:board") + f"?pipeline={pipeline.pk}&period=any"


PAGES = {
    "company card": lambda deal: deal.company.get_absolute_url(),
    "board": lambda deal: board_url(),
    "deal card": lambda deal: deal.get_absolute_url(),
    "deals list": lambda deal: reverse("opportunities:deal_list"),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_deal_of_90000_eur_reads_90_000_eur_on_every_page(client, rep, deal, page):
    client.force_login(rep)
    response = client.get(PAGES[page](deal))
    html = response.content.decode()
    assert response.status_code == 200
    assert deal.name in html
    assert ONE_WAY in html
    for other in OTHER_WAYS:
        assert other not in html


def test_the_board_and_the_dashboard_figures_use_the_same_format(client, rep, deal):
    client.force_login(rep)
    board = client.get(board_url()).content.decode()
    assert 'data-figure="projected">90,000<' in board
    assert 'data-figure="weighted">9,000<' in board  # the first stage's 10 %
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert ">90,000<" in dashboard and ">9,000<" in dashboard


def test_a_deal_with_cents_shows_them_on_the_card_and_in_its_lines(client, rep, deal):
    sales.deal_line_add(
        actor=rep,
        deal=deal,
        values={
            "product": None,
            "description": "Scanning",
            "quantity": Decimal(3),
            "unit_price": Decimal("411.50"),
        },
        update_deal_value=True,
    )
    client.force_login(rep)
    html = client.get(deal.get_absolute_url()).content.decode()
    assert ">411.50<" in html  # the unit price: the column's currency is the deal's
    assert 'data-testid="lines-total">1,234.50 EUR<' in html
    assert "1,234.50 EUR" in client.get(reverse("opportunities:deal_list")).content.decode()


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(Decimal("1234567.80"), "1,234,568"), (Decimal("12.49"), "12"), (Decimal("-0.4"), "0"), (None, "")],
)
def test_a_total_where_space_is_short_is_rounded_to_whole_units(amount, expected):
    from crm.templatetags.crm_tags import money_total

    assert money_total(amount) == expected


@pytest.mark.parametrize("language", ["en", "sv", "hu", "de", "fr", "hi"])
@pytest.mark.parametrize("amount", ["1234567.5", "90000", "-1234.56", "0.004", "12", "999999999999.99"])
def test_the_fast_grouping_writes_what_number_format_writes_in_every_language(language, amount):
    from django.utils import translation
    from django.utils.formats import number_format

    from crm.money import format_amount

    with translation.override(language):
        cents = Decimal(amount).quantize(Decimal("0.01"))
        cents = abs(cents) if cents.is_zero() else cents
        whole = cents == cents.to_integral_value()
        expected = number_format(cents, decimal_pos=0 if whole else 2, use_l10n=True, force_grouping=True)
        assert format_amount(Decimal(amount)) == expected
