"""The sales board: a column per stage of one pipeline with its deals, and the money in each.

What the board shows is decided by a `BoardQuery` (pipeline, owner or team, period, and the
won / lost / unprocessed toggles) and always starts from ``Deal.objects.visible_to(user)``.
The period selects open deals by their expected close date and won or lost deals by the date
they were closed; "any time" also shows open deals without a close date.

A board costs the same number of queries whatever the number of deals: the stages, one query
for the cards (at most `CARDS_PER_COLUMN` per column, ranked in SQL with a window function),
one GROUP BY stage, currency for the figures, and (for roles that do not edit everything) one
for which of the cards the user may move. Unprocessed companies add a capped list and a capped
count.

Figures, per column and per currency:
- count: every deal of the column, also those beyond the cards shown ("+N more");
- projected: the sum of their values;
- weighted: the sum of value × probability / 100, the probability being the deal's own or else
  its stage's default; a won deal weighs its whole value, a lost one nothing;
- actual: the sum of the values of won deals (only won columns have one).
The totals add the columns up per currency; lost deals count there but add no money.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import Company
from crm import access, exports, linked, listings
from crm.exports import Column as ExportColumn
from crm.models import Team, User
from opportunities.models import Deal, Pipeline, Stage, weighted_value_expression

CARDS_PER_COLUMN = 50
UNPROCESSED_SHOWN = 50
UNPROCESSED_COUNT_CAP = 2_000
CENT = Decimal("0.01")

PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR, PERIOD_CUSTOM, PERIOD_ANY = (
    "month",
    "quarter",
    "year",
    "custom",
    "any",
)
# Whose the board's user filter means. Seed 001: "each user owns their customers", and the board
# filtered by a user shows the business of that user's customers, whoever owns each deal; the deal
# owner stays a second choice. A deal without a company has no customer owner: it counts as its
# own owner's.
OWNER_OF_CUSTOMER, OWNER_OF_DEAL = "customer", "deal"
OWNERS_OF = [
    (OWNER_OF_CUSTOMER, gettext_lazy("Customer owner")),
    (OWNER_OF_DEAL, gettext_lazy("Deal owner")),
]
PERIODS = [
    (PERIOD_MONTH, gettext_lazy("This month")),
    (PERIOD_QUARTER, gettext_lazy("This quarter")),
    (PERIOD_YEAR, gettext_lazy("This year")),
    (PERIOD_CUSTOM, gettext_lazy("From – to")),
    (PERIOD_ANY, gettext_lazy("Any time")),
]


def period_range(
    period: str,
    *,
    today: datetime.date,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day of `period` around `today`; (None, None) for any time."""
    if period == PERIOD_MONTH:
        first = today.replace(day=1)
        return first, _next_month(first) - datetime.timedelta(days=1)
    if period == PERIOD_QUARTER:
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return first, _next_month(_next_month(_next_month(first))) - datetime.timedelta(days=1)
    if period == PERIOD_YEAR:
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    if period == PERIOD_CUSTOM:
        return start, end
    return None, None


def _next_month(first: datetime.date) -> datetime.date:
    return (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )


@dataclass(frozen=True)
class BoardQuery:
    """What the board shows; built by opportunities.board.forms.BoardFilterForm."""

    pipeline: Pipeline
    owner: User | None = None
    unassigned: bool = False  # only deals that nobody owns
    team: Team | None = None
    # Whose deals the owner and team filters pick (seed 001: the customer's owner, by default).
    owner_of: str = OWNER_OF_CUSTOMER
    start: datetime.date | None = None  # the period; None: open-ended
    end: datetime.date | None = None
    show_won: bool = True
    show_lost: bool = False
    show_unprocessed: bool = False
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def is_current(self) -> bool:
        """Whether the period holds today: open deals with no close date belong to it."""
        return (self.start is None or self.start <= self.today) and (
            self.end is None or self.today <= self.end
        )


@dataclass
class Money:
    """The figures of some deals in one currency."""

    currency: str
    count: int = 0
    projected: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)

    def add(self, other: Money, *, count_only: bool = False) -> None:
        self.count += other.count
        if not count_only:
            self.projected += other.projected
            self.weighted += other.weighted
            self.actual += other.actual


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[Deal] = field(default_factory=list)
    figures: list[Money] = field(default_factory=list)  # one per currency, by currency

    @property
    def count(self) -> int:
        return sum(money.count for money in self.figures)

    @property
    def more(self) -> int:
        """Deals of the column beyond the cards shown."""
        return max(self.count - len(self.cards), 0)


@dataclass
class Board:
    query: BoardQuery
    columns: list[BoardColumn]
    totals: list[Money]  # one per currency, by currency
    unprocessed: list[Company] | None = None  # None: not asked for
    unprocessed_count: int = 0
    unprocessed_capped: bool = False

    @property
    def count(self) -> int:
        return sum(money.count for money in self.totals)


# Choices of the filters ------------------------------------------------------------------------


def owner_choices(user) -> QuerySet:
    """The people whose deals `user` may see (crm.access.visible_users), decided by the policy
    rather than by scanning the owners of the visible deals on every board."""
    return access.visible_users(user)


def team_choices(user) -> QuerySet:
    """The teams whose deals `user` may see (crm.access.visible_teams)."""
    return access.visible_teams(user)


# The deals --------------------------------------------------------------------------------------


def board_stages(query: BoardQuery) -> list[Stage]:
    """The columns: the pipeline's open stages, and its won and lost ones when asked for."""
    kinds = [Stage.Kind.OPEN]
    if query.show_won:
        kinds.append(Stage.Kind.WON)
    if query.show_lost:
        kinds.append(Stage.Kind.LOST)
    return list(query.pipeline.stages.filter(kind__in=kinds).order_by("position"))


def _team_scope(team: Team, prefix: str = "") -> Q:
    members = User.objects.filter(Q(teams=team) | Q(managed_teams=team)).values("pk")
    return Q(**{f"{prefix}team": team}) | Q(**{f"{prefix}owner__in": members})


def _owner_scope(query: BoardQuery, prefix: str = "") -> Q:
    scope = Q()
    if query.unassigned:
        scope &= Q(**{f"{prefix}owner__isnull": True})
    elif query.owner is not None:
        scope &= Q(**{f"{prefix}owner": query.owner})
    if query.team is not None:
        scope &= _team_scope(query.team, prefix)
    return scope


def _deal_owner_scope(query: BoardQuery) -> Q:
    """The owner and team filters over deals: on the deal itself, or (by default) on its company,
    a deal without a company being its own owner's."""
    if query.owner_of == OWNER_OF_DEAL or not (query.unassigned or query.owner or query.team):
        return _owner_scope(query)
    return Q(company__isnull=False) & _owner_scope(query, "company__") | Q(
        company__isnull=True
    ) & _owner_scope(query)


def board_deals(*, user, query: BoardQuery, stages: list[Stage] | None = None) -> QuerySet:
    """Every deal the board shows (not only the cards), visible to `user`."""
    stages = board_stages(query) if stages is None else stages
    open_ids = [stage.pk for stage in stages if stage.kind == Stage.Kind.OPEN]
    closed_ids = [stage.pk for stage in stages if stage.kind != Stage.Kind.OPEN]
    deals = Deal.objects.visible_to(user).filter(_deal_owner_scope(query), pipeline=query.pipeline)
    if query.start is None and query.end is None:
        return deals.filter(stage_id__in=open_ids + closed_ids)
    expected, closed = Q(stage_id__in=open_ids), Q(stage_id__in=closed_ids)
    if query.start is not None:
        expected &= Q(expected_close_date__gte=query.start)
        closed &= Q(closed_on__gte=query.start)
    if query.end is not None:
        expected &= Q(expected_close_date__lte=query.end)
        closed &= Q(closed_on__lte=query.end)
    if query.is_current:
        # An open deal nobody dated yet is still in the pipeline now (its card says "no date").
        expected |= Q(stage_id__in=open_ids, expected_close_date__isnull=True)
    return deals.filter(expected | closed)


# What a card shows: reading only these keeps the wide text and search columns out of the query.
CARD_FIELDS = [
    "stage_id", "name", "value", "currency", "probability", "expected_close_date", "closed_on", "version",
    "company__name", "owner__username", "owner__first_name", "owner__last_name",
]  # fmt: skip


def _cards(deals: QuerySet) -> list[Deal]:
    ranked = deals.annotate(
        place=Window(
            RowNumber(),
            partition_by=[F("stage_id")],
            order_by=[F("expected_close_date").asc(nulls_last=True), F("closed_on").desc(), F("pk").asc()],
        )
    )
    return list(
        ranked.filter(place__lte=CARDS_PER_COLUMN)
        .select_related("company", "owner")
        .only(*CARD_FIELDS)
        .order_by("stage_id", "place")
    )


def _figures(deals: QuerySet) -> dict[int, list[Money]]:
    """Per stage, the figures per currency, from one GROUP BY query."""
    rows = (
        deals.order_by()
        .values("stage_id", "stage__kind", "currency")
        .annotate(count=Count("pk"), projected=Sum("value"), weighted=Sum(weighted_value_expression()))
        .order_by("stage_id", "currency")
    )
    figures: dict[int, list[Money]] = {}
    for row in rows:
        projected = row["projected"] or Decimal(0)
        weighted_value = row["weighted"] or Decimal(0)
        actual = projected if row["stage__kind"] == Stage.Kind.WON else Decimal(0)
        figures.setdefault(row["stage_id"], []).append(
            Money(
                currency=row["currency"],
                count=row["count"],
                projected=projected.quantize(CENT),
                weighted=weighted_value.quantize(CENT),
                actual=actual.quantize(CENT),
            )
        )
    return figures


def _totals(columns: list[BoardColumn]) -> list[Money]:
    totals: dict[str, Money] = {}
    for column in columns:
        for money in column.figures:
            total = totals.setdefault(money.currency, Money(currency=money.currency))
            total.add(money, count_only=column.stage.kind == Stage.Kind.LOST)
    return [totals[currency] for currency in sorted(totals)]


def _url_of(name: str):
    """A function pk → the URL named `name` for it: one reverse() per board, not two per card."""
    marker = 987654321
    prefix, suffix = reverse(name, kwargs={"pk": marker}).split(str(marker))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _add_urls(cards: list[Deal]) -> None:
    detail_url, move_url = _url_of("opportunities:deal_detail"), _url_of("opportunities:deal_move_stage")
    for card in cards:
        card.detail_url, card.move_url = detail_url(card.pk), move_url(card.pk)


def _mark_movable(user, cards: list[Deal]) -> None:
    """Set `movable` on each card: whether the user may change the deal (one query at most)."""
    scope = access.edit_scope(user) if user.has_perm("opportunities.change_deal") else access.NOTHING
    editable: set[int] = set()
    if scope is None:
        editable = {card.pk for card in cards}
    elif cards and scope != access.NOTHING:
        ids = [card.pk for card in cards]
        editable = set(Deal.objects.filter(scope, pk__in=ids).values_list("pk", flat=True))
    for card in cards:
        card.movable = card.pk in editable


def unprocessed_companies(*, user, query: BoardQuery) -> QuerySet:
    """The visible companies (of the chosen owner or team) with no open deal the user can see."""
    open_deals = Deal.objects.visible_to(user).filter(company=OuterRef("pk"), stage__kind=Stage.Kind.OPEN)
    return (
        Company.objects.visible_to(user)
        .filter(_owner_scope(query))
        .filter(~Exists(open_deals))
        .select_related("owner")
        .order_by("name", "pk")
    )


def board_build(*, user, query: BoardQuery) -> Board:
    """The board `query` asks for, as `user` may see it."""
    stages = board_stages(query)
    deals = board_deals(user=user, query=query, stages=stages)
    # A card names its company only to who may see it (crm.linked), flagged in the cards' query.
    cards = _cards(linked.annotate_visible(deals, user, "company")) if stages else []
    _add_urls(cards)
    _mark_movable(user, cards)
    # What other apps show on a card (activities: the deal's next step), one query per badge.
    listings.list_badges(Deal, cards, user)
    figures = _figures(deals) if stages else {}
    columns = [BoardColumn(stage=stage, figures=figures.get(stage.pk, [])) for stage in stages]
    by_stage = {column.stage.pk: column for column in columns}
    for card in cards:
        by_stage[card.stage_id].cards.append(card)
    board = Board(query=query, columns=columns, totals=_totals(columns))
    if query.show_unprocessed:
        companies = unprocessed_companies(user=user, query=query)
        board.unprocessed = list(companies[:UNPROCESSED_SHOWN])
        counted = companies.order_by()[: UNPROCESSED_COUNT_CAP + 1].count()
        board.unprocessed_count = min(counted, UNPROCESSED_COUNT_CAP)
        board.unprocessed_capped = counted > UNPROCESSED_COUNT_CAP
    return board


# The export -------------------------------------------------------------------------------------


# The linked records the export names: its queryset flags which the user may see (crm.linked).
EXPORT_LINKS = ("company", "primary_contact")


def export_columns() -> list[ExportColumn]:
    """The columns of the board's export: what a card shows, and the figures behind the totals.
    The deals they read carry linked.annotate_visible(deals, user, *EXPORT_LINKS)."""
    probability_fields = ("stage__kind", "probability", "stage__default_probability")
    return [
        exports.field(_("Stage"), "stage__name"),
        exports.field(_("Deal"), "name"),
        exports.visible_only(exports.field(_("Company"), "company__name"), "company"),
        exports.visible_only(exports.person(_("Primary contact"), "primary_contact"), "primary_contact"),
        exports.field(_("Value"), "value"),
        exports.field(_("Currency"), "currency"),
        ExportColumn(_("Probability (%)"), probability_fields, _export_probability),
        ExportColumn(_("Weighted value"), ("weighted",), _export_weighted),
        exports.field(_("Expected close date"), "expected_close_date"),
        exports.field(_("Won/lost on"), "closed_on"),
        exports.user(_("Owner"), "owner"),
        exports.field(_("Team"), "team__name"),
    ]


def _export_probability(row: dict) -> int:
    if row["stage__kind"] == Stage.Kind.WON:
        return 100
    if row["stage__kind"] == Stage.Kind.LOST:
        return 0
    return row["probability"] if row["probability"] is not None else row["stage__default_probability"]


def _export_weighted(row: dict) -> Decimal | None:
    # "weighted" is annotated by export_deals (Deal.objects.with_weighted_value()).
    return None if row["weighted"] is None else row["weighted"].quantize(CENT)


def export_deals(*, user, query: BoardQuery) -> QuerySet:
    """The deals of the board's export (every deal the board counts, not only the cards shown),
    in column order; the export reads only its columns' fields. The customers without a deal
    follow them (`export_unprocessed`) when the board shows them."""
    return linked.annotate_visible(
        board_deals(user=user, query=query)
        .with_weighted_value()
        .order_by("stage__position", "expected_close_date", "pk"),
        user,
        *EXPORT_LINKS,
    )


def _constant(value):
    return lambda row: value


def unprocessed_export_columns() -> list[ExportColumn]:
    """The export's columns for a customer without a deal: the same headers as the deals',
    the stage reading "Unprocessed" and the deal's own cells left empty."""
    unprocessed = _("Unprocessed")
    by_header = {
        str(_("Stage")): ExportColumn(_("Stage"), (), _constant(unprocessed)),
        str(_("Company")): exports.field(_("Company"), "name"),
        str(_("Owner")): exports.user(_("Owner"), "owner"),
        str(_("Team")): exports.field(_("Team"), "team__name"),
    }
    return [
        by_header.get(str(column.header), ExportColumn(column.header, (), _constant(None)))
        for column in export_columns()
    ]


def export_unprocessed(*, user, query: BoardQuery) -> list[tuple[QuerySet, list[ExportColumn]]]:
    """The rows of the export after the deals: the unprocessed customers (seed 001: "export all
    customers in the scoreboard view"), when the board shows them; none otherwise."""
    if not query.show_unprocessed:
        return []
    companies = unprocessed_companies(user=user, query=query).select_related(None)
    return [(companies, unprocessed_export_columns())]
