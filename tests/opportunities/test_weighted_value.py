"""The weighted value of a deal: one SQL expression on the deal queryset
(opportunities.models.weighted_value_expression), read by the board, the sales targets and the
dashboard alike."""

from decimal import Decimal

import pytest
from django.utils import timezone

from crm.dashboard import dashboard_figures
from opportunities.board import selectors as board
from opportunities.models import Deal, Pipeline, Stage
from opportunities.sales import targets
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


def stage_of(kind: str, default_probability: int) -> Stage:
    stage = Pipeline.objects.get(name="Standard").stages.filter(kind=kind).order_by("position").first()
    Stage.objects.filter(pk=stage.pk).update(default_probability=default_probability)
    stage.refresh_from_db()
    return stage


@pytest.mark.parametrize(
    ("value", "probability", "stage_default", "kind", "expected"),
    [
        (Decimal(1000), 25, 10, Stage.Kind.OPEN, Decimal("250.00")),
        # No probability of its own: the stage's default.
        (Decimal(1000), None, 10, Stage.Kind.OPEN, Decimal("100.00")),
        # 0 % is a probability, not a missing one: the stage's default does not replace it.
        (Decimal(1000), 0, 50, Stage.Kind.OPEN, Decimal("0.00")),
        (Decimal(1000), 100, 10, Stage.Kind.OPEN, Decimal("1000.00")),
        (Decimal("333.33"), 33, 10, Stage.Kind.OPEN, Decimal("110.00")),
        # Won: the whole value, whatever the probabilities say.
        (Decimal(1000), 25, 10, Stage.Kind.WON, Decimal("1000.00")),
        (Decimal(1000), None, 10, Stage.Kind.WON, Decimal("1000.00")),
        # Lost: nothing.
        (Decimal(1000), 90, 90, Stage.Kind.LOST, Decimal("0.00")),
        (Decimal(1000), None, 90, Stage.Kind.LOST, Decimal("0.00")),
        # No value, no weighted value (open or won).
        (None, 50, 10, Stage.Kind.OPEN, None),
        (None, 50, 10, Stage.Kind.WON, None),
    ],
)
def test_weighted_value_through_the_deal_queryset(value, probability, stage_default, kind, expected):
    stage = stage_of(kind, stage_default)
    deal = DealFactory(stage=stage, value=value, probability=probability)
    weighted = Deal.objects.with_weighted_value().get(pk=deal.pk).weighted
    assert (None if weighted is None else weighted.quantize(CENT)) == expected


def test_the_board_the_targets_and_the_dashboard_weigh_deals_alike(rep):
    """The same open deals, read by the three: each adds up the same weighted value."""
    today = timezone.localdate()
    open_stage = stage_of(Stage.Kind.OPEN, 40)
    for value, probability in [(Decimal(1000), None), (Decimal(500), 0), (Decimal("250.50"), 30)]:
        DealFactory(
            owner=rep, stage=open_stage, value=value, probability=probability, expected_close_date=today
        )
    expected = Decimal("475.15")  # 1000 × 40 % + 500 × 0 % + 250.50 × 30 %

    query = board.BoardQuery(pipeline=open_stage.pipeline, show_won=False, today=today)
    built = board.board_build(user=rep, query=query)
    assert [money.weighted for money in built.totals] == [expected]

    rows = targets.target_comparison(rep, targets.Period.containing(today))
    assert [row.weighted for row in rows if row.user == rep] == [expected]

    [by_currency] = dashboard_figures(user=rep)["deals_by_currency"]
    assert by_currency["weighted"].quantize(CENT) == expected


def test_the_board_export_reads_the_same_weighted_value(rep):
    won = stage_of(Stage.Kind.WON, 10)
    deal = DealFactory(
        owner=rep, stage=won, value=Decimal(800), probability=20, closed_on=timezone.localdate()
    )
    query = board.BoardQuery(pipeline=won.pipeline, today=timezone.localdate())
    weighted_column = next(
        column for column in board.export_columns() if str(column.header) == "Weighted value"
    )
    [row] = board.export_deals(user=rep, query=query).filter(pk=deal.pk).values(*weighted_column.fields)
    assert weighted_column.value(row) == Decimal("800.00")


@pytest.mark.parametrize(("kind", "expected"), [(Stage.Kind.WON, "800.00"), (Stage.Kind.LOST, "0.00")])
def test_the_deal_card_shows_the_same_weighted_value(client, rep, kind, expected):
    stage = stage_of(kind, 10)
    deal = DealFactory(
        owner=rep, stage=stage, value=Decimal(800), probability=20, closed_on=timezone.localdate()
    )
    client.force_login(rep)

    page = client.get(deal.get_absolute_url())

    assert page.context["deal"].weighted.quantize(CENT) == Decimal(expected)
