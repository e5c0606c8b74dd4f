"""The sales board (opportunities/board/), its views, export and batch text message."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm import sms
from crm.models import AuditEvent
from opportunities.board import messaging
from opportunities.board import selectors as board
from opportunities.models import Deal, Pipeline, Stage
from tests.factories import CompanyFactory, DealFactory, PersonFactory, UserFactory

TODAY = datetime.date(2026, 5, 14)  # the second quarter: 1 April – 30 June
IN_QUARTER = datetime.date(2026, 6, 1)
LAST_YEAR = datetime.date(2025, 6, 1)


def classic_deal(classic, stage_name, **values):
    pipeline, stages = classic
    stage = stages[stage_name]
    values.setdefault("expected_close_date", IN_QUARTER)
    if stage.kind != Stage.Kind.OPEN:
        values.setdefault("closed_on", IN_QUARTER)
    return DealFactory(pipeline=pipeline, stage=stage, **values)


def quarter_query(classic, **options):
    start, end = board.period_range(board.PERIOD_QUARTER, today=TODAY)
    return board.BoardQuery(pipeline=classic[0], start=start, end=end, today=TODAY, **options)


def column(built, stage_name):
    return next(column for column in built.columns if column.stage.name == stage_name)


def figures(money_list):
    return {
        money.currency: (money.count, money.projected, money.weighted, money.actual) for money in money_list
    }


# Periods


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        ("month", datetime.date(2026, 2, 14), (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))),
        ("month", datetime.date(2026, 12, 31), (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))),
        ("quarter", datetime.date(2026, 5, 14), (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))),
        ("quarter", datetime.date(2026, 11, 1), (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))),
        ("year", datetime.date(2026, 5, 14), (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))),
        ("any", datetime.date(2026, 5, 14), (None, None)),
    ],
)
def test_period_presets_span_the_month_quarter_or_year_around_today(period, today, expected):
    assert board.period_range(period, today=today) == expected


# Columns and figures


def test_the_columns_are_the_open_stages_and_won_and_lost_only_when_asked(classic, admin):
    names = [c.stage.name for c in board.board_build(user=admin, query=quarter_query(classic)).columns]
    assert names == ["Prospecting", "Qualification", "Quotation", "Negotiation", "Closed won"]
    query = quarter_query(classic, show_won=False, show_lost=True)
    names = [c.stage.name for c in board.board_build(user=admin, query=query).columns]
    assert names == ["Prospecting", "Qualification", "Quotation", "Negotiation", "Closed lost"]


def test_each_column_counts_and_sums_its_deals_per_currency(classic, admin):
    classic_deal(classic, "Quotation", value=Decimal("1000"))
    classic_deal(classic, "Quotation", value=Decimal("2000"), probability=10)
    classic_deal(classic, "Quotation", value=Decimal("500"), currency="SEK")
    classic_deal(classic, "Quotation", value=None)
    classic_deal(classic, "Negotiation", value=Decimal("400"), probability=100)
    built = board.board_build(user=admin, query=quarter_query(classic))
    quotation = column(built, "Quotation")
    assert figures(quotation.figures) == {
        # 1000 × 50 % (the stage's default) + 2000 × 10 %; the deal without a value counts
        "EUR": (3, Decimal("3000.00"), Decimal("700.00"), Decimal("0.00")),
        "SEK": (1, Decimal("500.00"), Decimal("250.00"), Decimal("0.00")),
    }
    assert quotation.count == 4 and len(quotation.cards) == 4
    assert figures(built.totals) == {
        "EUR": (4, Decimal("3400.00"), Decimal("1100.00"), Decimal("0.00")),
        "SEK": (1, Decimal("500.00"), Decimal("250.00"), Decimal("0.00")),
    }


def test_weighted_value_uses_the_stage_default_when_the_deal_has_no_probability(classic, admin):
    classic_deal(classic, "Prospecting", value=Decimal("1000"), probability=None)  # default 10 %
    classic_deal(classic, "Negotiation", value=Decimal("1000"), probability=None)  # default 75 %
    built = board.board_build(user=admin, query=quarter_query(classic))
    assert column(built, "Prospecting").figures[0].weighted == Decimal("100.00")
    assert column(built, "Negotiation").figures[0].weighted == Decimal("750.00")


def test_actual_value_is_what_was_won_and_lost_deals_add_no_money(classic, admin):
    classic_deal(classic, "Negotiation", value=Decimal("1000"))
    classic_deal(classic, "Closed won", value=Decimal("5000"), probability=40)
    classic_deal(classic, "Closed lost", value=Decimal("9000"), probability=60, lost_reason="price")
    built = board.board_build(user=admin, query=quarter_query(classic, show_lost=True))
    assert figures(column(built, "Closed won").figures) == {
        "EUR": (1, Decimal("5000.00"), Decimal("5000.00"), Decimal("5000.00"))
    }
    assert figures(column(built, "Closed lost").figures) == {
        "EUR": (1, Decimal("9000.00"), Decimal("0.00"), Decimal("0.00"))
    }
    assert figures(built.totals) == {"EUR": (3, Decimal("6000.00"), Decimal("5750.00"), Decimal("5000.00"))}


def test_the_period_uses_the_close_date_of_won_and_lost_deals_and_the_expected_one_of_open_deals(
    classic, admin
):
    shown = {
        classic_deal(classic, "Quotation", name="open, closing this quarter"),
        classic_deal(classic, "Closed won", name="won this quarter", expected_close_date=LAST_YEAR),
        classic_deal(classic, "Closed lost", name="lost this quarter", expected_close_date=LAST_YEAR),
        # Still in the pipeline now: the period that holds today shows it (marked "no date").
        classic_deal(classic, "Quotation", name="open, no close date", expected_close_date=None),
    }
    classic_deal(classic, "Quotation", name="open, closing last year", expected_close_date=LAST_YEAR)
    classic_deal(classic, "Closed won", name="won last year", closed_on=LAST_YEAR)
    query = quarter_query(classic, show_lost=True)
    assert set(board.board_deals(user=admin, query=query)) == shown
    anytime = board.BoardQuery(pipeline=classic[0], show_lost=True)
    assert board.board_deals(user=admin, query=anytime).count() == 6


def test_an_undated_open_deal_shows_only_in_the_period_that_holds_today(classic, admin):
    undated = classic_deal(classic, "Quotation", name="no date yet", expected_close_date=None)
    last_year = board.period_range(board.PERIOD_QUARTER, today=LAST_YEAR)
    past = board.BoardQuery(pipeline=classic[0], start=last_year[0], end=last_year[1], today=TODAY)
    assert list(board.board_deals(user=admin, query=quarter_query(classic))) == [undated]
    assert list(board.board_deals(user=admin, query=past)) == []
    assert (
        column(board.board_build(user=admin, query=quarter_query(classic)), "Quotation").figures[0].count == 1
    )


def test_the_default_board_shows_an_undated_deal_with_a_no_date_marker(client, classic, rep):
    deal = classic_deal(classic, "Quotation", name="Undated deal", expected_close_date=None, owner=rep)
    client.force_login(rep)
    page = client.get(board_url(pipeline=classic[0].pk)).content.decode()
    card = page[page.index(f'data-deal-id="{deal.pk}"') :]
    card = card[: card.index("</article>")]
    assert "Undated deal" in card and 'data-testid="no-date"' in card


def test_the_board_shows_only_the_chosen_pipeline(classic, admin):
    classic_deal(classic, "Quotation", name="classic")
    DealFactory(name="standard", expected_close_date=IN_QUARTER)
    assert [d.name for d in board.board_deals(user=admin, query=quarter_query(classic))] == ["classic"]


def test_a_column_shows_at_most_fifty_cards_and_counts_the_rest(classic, admin):
    for _ in range(board.CARDS_PER_COLUMN + 3):
        classic_deal(classic, "Prospecting", value=Decimal("10"))
    prospecting = column(board.board_build(user=admin, query=quarter_query(classic)), "Prospecting")
    assert len(prospecting.cards) == board.CARDS_PER_COLUMN
    assert (prospecting.count, prospecting.more) == (53, 3)
    assert prospecting.figures[0].projected == Decimal("530.00")


def test_the_owner_and_team_filters_narrow_the_board(classic, personas, admin):
    deals = {
        key: classic_deal(classic, "Quotation", name=key, owner=getattr(personas, key))
        for key in ["manager", "rep", "rep_other_team"]
    }
    classic_deal(classic, "Quotation", name="nobody", owner=None)
    filed_south = classic_deal(classic, "Quotation", name="filed south", owner=admin, team=personas.south)

    def names(**options):
        return {d.name for d in board.board_deals(user=admin, query=quarter_query(classic, **options))}

    assert names(owner=personas.rep) == {"rep"}
    assert names(unassigned=True) == {"nobody"}
    assert names(team=personas.north) == {"manager", "rep"}
    assert names(team=personas.south) == {"rep_other_team", filed_south.name}
    assert names(owner=personas.rep, team=personas.south) == set()
    assert deals


def test_a_restricted_user_sees_only_their_own_and_unassigned_deals(classic, personas, restricted):
    for key in ["admin", "manager", "rep", "rep_other_team", "restricted"]:
        classic_deal(classic, "Quotation", name=key, owner=getattr(personas, key))
    classic_deal(classic, "Quotation", name="nobody", owner=None)
    built = board.board_build(user=restricted, query=quarter_query(classic))
    assert {card.name for card in column(built, "Quotation").cards} == {"restricted", "nobody"}
    assert built.count == 2


def test_a_manager_sees_the_whole_board(classic, personas, manager):
    for key in ["admin", "manager", "rep", "rep_other_team", "restricted"]:
        classic_deal(classic, "Quotation", name=key, owner=getattr(personas, key))
    built = board.board_build(user=manager, query=quarter_query(classic))
    cards = column(built, "Quotation").cards
    assert {card.name for card in cards} == {"admin", "manager", "rep", "rep_other_team", "restricted"}
    assert all(card.movable for card in cards)
    assert personas.rep_other_team in set(board.owner_choices(manager))
    assert set(board.team_choices(manager)) == {personas.north, personas.south}


def test_a_manager_sees_their_teams_deals(classic, personas, manager, managers_see_only_their_teams):
    for key in ["admin", "manager", "rep", "rep_other_team", "restricted"]:
        classic_deal(classic, "Quotation", name=key, owner=getattr(personas, key))
    built = board.board_build(user=manager, query=quarter_query(classic))
    assert {card.name for card in column(built, "Quotation").cards} == {"manager", "rep", "restricted"}


def test_the_owner_filter_offers_only_people_whose_deals_one_may_see(
    classic, personas, reps_see_only_own, managers_see_only_their_teams
):
    assert set(board.owner_choices(personas.manager)) == {personas.manager, personas.rep, personas.restricted}
    assert set(board.owner_choices(personas.rep)) == {personas.rep}
    assert set(board.owner_choices(personas.restricted)) == {personas.restricted}
    assert personas.rep_other_team in set(board.owner_choices(personas.admin))
    assert set(board.team_choices(personas.manager)) == {personas.north}
    assert set(board.team_choices(personas.admin)) == {personas.north, personas.south}


def test_cards_one_may_not_change_cannot_be_dragged(classic, personas, rep):
    classic_deal(classic, "Quotation", name="own", owner=rep)
    classic_deal(classic, "Quotation", name="other team's", owner=personas.rep_other_team)
    cards = column(board.board_build(user=rep, query=quarter_query(classic)), "Quotation").cards
    assert {card.name: card.movable for card in cards} == {"own": True, "other team's": False}


def test_unprocessed_companies_are_the_visible_ones_without_an_open_deal(classic, personas, rep):
    busy = CompanyFactory(name="Busy", owner=rep)
    classic_deal(classic, "Quotation", company=busy, owner=rep)
    won_only = CompanyFactory(name="Won only", owner=rep)
    classic_deal(classic, "Closed won", company=won_only, owner=rep)
    CompanyFactory(name="Idle", owner=rep)
    CompanyFactory(name="Idle elsewhere", owner=personas.rep_other_team)
    query = quarter_query(classic, show_unprocessed=True)
    built = board.board_build(user=rep, query=query)
    assert [c.name for c in built.unprocessed] == ["Idle", "Idle elsewhere", "Won only"]
    assert built.unprocessed_count == 3
    mine = board.board_build(user=rep, query=quarter_query(classic, show_unprocessed=True, owner=rep))
    assert [c.name for c in mine.unprocessed] == ["Idle", "Won only"]
    restricted_view = board.board_build(user=personas.restricted, query=query)
    assert restricted_view.unprocessed == []
    assert board.board_build(user=rep, query=quarter_query(classic)).unprocessed is None


# The page


def board_url(**params):
    from urllib.parse import urlencode

    return reverse("opportunities:board") + (f"?{urlencode(params)}" if params else "")


@pytest.mark.parametrize("persona", ["admin", "manager", "rep", "rep_other_team", "restricted"])
def test_every_role_opens_the_board(client, personas, persona):
    client.force_login(getattr(personas, persona))
    response = client.get(board_url())
    assert response.status_code == 200
    assert response.context["board"].query.pipeline == Pipeline.objects.filter(is_active=True).first()


def test_the_board_page_shows_cards_with_their_data_and_the_totals(client, classic, rep):
    company = CompanyFactory(name="Vandelay Industries", owner=rep)
    deal = classic_deal(
        classic, "Quotation", name="Latex deal", company=company, owner=rep, value=Decimal("12345")
    )
    client.force_login(rep)
    response = client.get(board_url(pipeline=classic[0].pk, period="any"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-deal-id="{deal.pk}"' in html and f'data-stage-id="{deal.stage_id}"' in html
    assert 'data-version="1"' in html
    assert reverse("opportunities:deal_move_stage", args=[deal.pk]) in html
    for text in ["Latex deal", "Vandelay Industries", "12,345 EUR", "2026-06-01", str(rep)]:
        assert text in html
    assert 'data-testid="board-totals"' in html
    assert "<script" in html and "onclick" not in html and "style=" not in html


def test_an_htmx_refresh_gets_only_the_columns_and_totals(client, classic, rep):
    classic_deal(classic, "Quotation", name="Latex deal", owner=rep)
    client.force_login(rep)
    response = client.get(board_url(pipeline=classic[0].pk, period="any"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board"')
    assert "Latex deal" in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pipeline": "999999"}, "Select a valid choice"),
        ({"pipeline": "abc"}, "Select a valid choice"),
        ({"owner": "abc"}, "Select a valid choice"),
        ({"team": "1 OR 1=1"}, "Select a valid choice"),
        ({"period": "decade"}, "Select a valid choice"),
        ({"period": "custom"}, "Give a first day, a last day, or both."),
        ({"period": "custom", "start": "2026-13-45"}, "Enter a valid date."),
        ({"period": "custom", "start": "2026-06-01", "end": "2026-01-01"}, "The last day comes before"),
        ({"won": "\x00"}, None),
    ],
)
def test_invalid_filters_get_a_clear_message_not_an_error(client, classic, rep, params, message):
    client.force_login(rep)
    response = client.get(board_url(**params))
    if message is None:  # a checkbox takes any value as "on"
        assert response.status_code == 200
        assert response.context["board"] is not None
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["board"] is None


def test_the_owner_filter_refuses_someone_whose_deals_one_may_not_see(client, personas, restricted):
    client.force_login(restricted)
    response = client.get(board_url(owner=personas.rep.pk))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_post_to_the_board_is_refused_and_changes_nothing(client, classic, rep):
    deal = classic_deal(classic, "Quotation", owner=rep)
    client.force_login(rep)
    response = client.post(board_url(), {"stage": classic[1]["Negotiation"].pk, "deal": deal.pk})
    assert response.status_code == 405
    deal.refresh_from_db()
    assert deal.stage.name == "Quotation"


@pytest.mark.parametrize("rows", [1, 60])
def test_the_board_query_count_does_not_grow_with_the_deals(
    client, classic, manager, rep, rows, django_assert_num_queries
):
    for index in range(rows):
        classic_deal(
            classic,
            ["Prospecting", "Qualification", "Quotation", "Negotiation", "Closed won"][index % 5],
            owner=rep,
            value=Decimal(100 + index),
            company=CompanyFactory(owner=rep),
        )
    client.force_login(manager)
    url = board_url(pipeline=classic[0].pk, period="any", unprocessed="on", won="on")
    client.get(url)
    # the generations (session, user and role groups kept by crm.lookup_cache), permissions, then the filters' choices (pipelines,
    # owners, teams), the stages, the cards, the figures, unprocessed companies and their capped
    # count (a Manager may move every card: no query for which ones), the cards' next steps and
    # the open first meetings beside the columns (crm.listings, from activities)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.context["board"].count == rows


# Moving cards (the board posts to opportunities:deal_move_stage)


def test_a_card_dropped_on_a_stage_whose_rules_are_met_moves(client, classic, rep):
    deal = classic_deal(classic, "Quotation", owner=rep, value=Decimal("100"))
    client.force_login(rep)
    response = client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": classic[1]["Negotiation"].pk, "version": deal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'data-moved-to="{classic[1]["Negotiation"].pk}"' in response.content.decode()
    built = board.board_build(user=rep, query=quarter_query(classic))
    assert [card.pk for card in column(built, "Negotiation").cards] == [deal.pk]


def test_a_card_dropped_on_a_stage_whose_rules_are_not_met_gets_the_list_of_missing_items(
    client, classic, rep
):
    deal = classic_deal(classic, "Prospecting", owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": classic[1]["Qualification"].pk, "version": deal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        "Qualification needs a company." in html and "Qualification needs a primary contact person." in html
    )
    deal.refresh_from_db()
    assert deal.stage.name == "Prospecting"


@pytest.mark.parametrize(
    "stage", ["999999", "abc", "", "other pipeline", "-1", "1; DROP TABLE opportunities_deal"]
)
def test_crafted_stage_moves_are_refused_and_change_nothing(client, classic, rep, stage):
    deal = classic_deal(classic, "Quotation", owner=rep)
    if stage == "other pipeline":
        stage = str(Stage.objects.get(pipeline__name="Standard", name="Offer").pk)
    client.force_login(rep)
    before = Deal.objects.filter(pk=deal.pk).values().get()
    response = client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": stage, "version": deal.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Choose a stage of the deal's own pipeline (Classic)."
    ]
    assert Deal.objects.filter(pk=deal.pk).values().get() == before


@pytest.mark.parametrize("version", ["abc", "", "1.5"])
def test_a_crafted_version_is_refused_and_changes_nothing(client, classic, rep, version):
    deal = classic_deal(classic, "Quotation", owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": classic[1]["Negotiation"].pk, "version": version},
        headers={"HX-Request": "true"},
    )
    assert 400 <= response.status_code < 500
    deal.refresh_from_db()
    assert deal.stage.name == "Quotation"


def test_a_stale_card_is_refused_with_409(client, classic, rep):
    deal = classic_deal(classic, "Quotation", owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": classic[1]["Negotiation"].pk, "version": deal.version + 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    deal.refresh_from_db()
    assert deal.stage.name == "Quotation"


# Export


def export(client, file_format="csv", **params):
    from urllib.parse import urlencode

    url = reverse("opportunities:board_export", kwargs={"file_format": file_format})
    return client.get(f"{url}?{urlencode(params)}" if params else url)


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_exporting_the_board_needs_the_export_permission(client, classic, rep, manager):
    client.force_login(rep)
    assert export(client).status_code == 403
    client.force_login(manager)
    assert export(client).status_code == 200


def test_the_export_holds_exactly_the_deals_the_board_shows(
    client, classic, personas, manager, managers_see_only_their_teams
):
    shown = {
        classic_deal(classic, "Quotation", name="rep's", owner=personas.rep, value=Decimal("100")).name,
        classic_deal(classic, "Closed won", name="won", owner=personas.manager, value=Decimal("50")).name,
    }
    for _ in range(board.CARDS_PER_COLUMN + 1):  # beyond the cards shown, still on the board
        shown.add(classic_deal(classic, "Prospecting", owner=personas.manager).name)
    classic_deal(classic, "Quotation", name="other team's", owner=personas.rep_other_team)
    classic_deal(classic, "Closed lost", name="lost", owner=personas.manager, lost_reason="price")
    classic_deal(
        classic,
        "Quotation",
        name="next year",
        owner=personas.manager,
        expected_close_date=TODAY.replace(year=2030),
    )
    DealFactory(name="other pipeline", owner=personas.manager, expected_close_date=IN_QUARTER)
    client.force_login(manager)
    params = {
        "pipeline": classic[0].pk,
        "period": "custom",
        "start": "2026-04-01",
        "end": "2026-06-30",
        "won": "on",
    }
    rows = csv_rows(export(client, "csv", **params))
    assert rows[0][:3] == ["Stage", "Deal", "Company"]
    assert {row[1] for row in rows[1:]} == shown
    page = client.get(board_url(**params))
    assert page.context["board"].count == len(shown)
    won = next(row for row in rows if row[1] == "won")
    assert won[0] == "Closed won" and won[4] == "50.00" and won[6] == "100"


def test_a_formula_in_a_deal_name_is_exported_as_text(client, classic, manager):
    classic_deal(classic, "Quotation", name='=HYPERLINK("http://evil.example")', owner=manager)
    client.force_login(manager)
    response = export(client, "xlsx", pipeline=classic[0].pk, period="any")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == '=HYPERLINK("http://evil.example")' and cell.data_type == "s"


def test_an_unknown_export_format_or_bad_filter_is_a_clear_refusal(client, classic, manager):
    client.force_login(manager)
    assert export(client, "pdf").status_code == 404
    response = export(client, "csv", period="custom")
    assert response.status_code == 400
    assert "Give a first day" in response.content.decode()


# Batch text message


@pytest.fixture
def contacts_on_the_board(classic, personas):
    rep = personas.rep
    classic[0].sms_enabled = True  # batch SMS is off until an administrator enables it
    classic[0].save(update_fields=["sms_enabled"])

    def deal_with(contact):
        return classic_deal(classic, "Quotation", owner=rep, primary_contact=contact)

    agreed = PersonFactory(first_name="Agreed", phone="+46701234567", consent_phone=True, owner=rep)
    deal_with(agreed)
    deal_with(agreed)  # one message, though primary contact of two deals
    deal_with(PersonFactory(first_name="No consent", phone="+46701234568", consent_phone=False, owner=rep))
    deal_with(PersonFactory(first_name="No phone", phone="", consent_phone=True, owner=rep))
    deal_with(None)
    hidden = PersonFactory(
        first_name="Hidden", phone="+46701234569", consent_phone=True, owner=personas.admin
    )
    classic_deal(classic, "Quotation", owner=None, primary_contact=hidden)
    restricted_contact = PersonFactory(
        first_name="Restricted's", phone="+46701234570", consent_phone=True, owner=personas.restricted
    )
    classic_deal(classic, "Quotation", owner=personas.restricted, primary_contact=restricted_contact)
    other = PersonFactory(
        first_name="Other", phone="+46701234571", consent_phone=True, owner=personas.rep_other_team
    )
    classic_deal(classic, "Quotation", owner=personas.rep_other_team, primary_contact=other)
    return agreed


def test_the_batch_message_reaches_only_visible_contacts_with_a_phone_who_agreed(
    classic, personas, contacts_on_the_board, queued_sms
):
    report = messaging.board_message_send(
        actor=personas.restricted, query=quarter_query(classic), body="  Our offices close at noon.  "
    )
    # restricted sees their own deal and the unassigned one, whose contact is the admin's
    assert [(m.to, m.body) for m in queued_sms] == [("+46701234570", "Our offices close at noon.")]
    assert (report.queued, report.skipped) == (1, 1)


def test_an_unsubscribed_contact_is_counted_without_consent_and_not_texted(
    classic, personas, contacts_on_the_board, queued_sms, managers_see_only_their_teams
):
    before = messaging.board_recipients(user=personas.manager, query=quarter_query(classic))
    contacts_on_the_board.unsubscribed_at = timezone.now()  # "Agreed" unsubscribes
    contacts_on_the_board.save(update_fields=["unsubscribed_at"])
    after = messaging.board_recipients(user=personas.manager, query=quarter_query(classic))
    assert {p.first_name for p in after.people} == {p.first_name for p in before.people} - {"Agreed"}
    assert (after.without_consent, after.reachable) == (before.without_consent + 1, before.reachable - 1)
    messaging.board_message_send(actor=personas.manager, query=quarter_query(classic), body="Hello")
    assert contacts_on_the_board.phone not in {m.to for m in queued_sms}


def test_the_batch_message_skips_and_counts_who_may_not_receive_it(
    classic, personas, contacts_on_the_board, queued_sms, managers_see_only_their_teams
):
    recipients = messaging.board_recipients(user=personas.manager, query=quarter_query(classic))
    assert {p.first_name for p in recipients.people} == {"Agreed", "Restricted's"}
    assert (recipients.deals, recipients.without_contact, recipients.reachable) == (7, 1, 2)
    assert (recipients.without_phone, recipients.without_consent, recipients.hidden) == (1, 1, 1)
    # The form counts without reading the people: the same figures from two queries.
    counted = messaging.board_recipients(
        user=personas.manager, query=quarter_query(classic), with_people=False
    )
    assert counted.people == [] and counted.reachable == 2 and counted.skipped == recipients.skipped
    report = messaging.board_message_send(actor=personas.manager, query=quarter_query(classic), body="Hello")
    assert sorted(m.to for m in queued_sms) == ["+46701234567", "+46701234570"]
    assert report.queued == 2
    audit = AuditEvent.objects.get(verb="batch message")
    assert audit.actor == personas.manager and audit.object_id == str(classic[0].pk)
    assert audit.changes["body"] == "Hello"
    assert sorted(audit.changes["sent_to"]) == sorted(p.pk for p in recipients.people)


@pytest.mark.parametrize(
    ("body", "error"), [("   ", "Write the message."), ("x" * 481, "at most 480 characters")]
)
def test_the_batch_message_needs_a_text_of_at_most_480_characters(
    classic, personas, contacts_on_the_board, queued_sms, body, error
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=error):
        messaging.board_message_send(actor=personas.manager, query=quarter_query(classic), body=body)
    assert queued_sms == []
    assert not AuditEvent.objects.filter(verb="batch message").exists()


def test_the_message_page_shows_who_will_receive_it_and_sends_it(
    client, classic, manager, contacts_on_the_board, queued_sms, managers_see_only_their_teams
):
    client.force_login(manager)
    params = {"pipeline": classic[0].pk, "period": "any"}
    url = reverse("opportunities:board_message") + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    page = client.get(url)
    assert page.status_code == 200
    assert "2 people will receive it" in page.content.decode()
    refused = client.post(url, {"body": ""})
    assert refused.status_code == 422 and queued_sms == []
    sent = client.post(url, {"body": "See you at the fair"})
    assert sent.status_code == 302 and sent["Location"] == board_url(**params)
    assert len(queued_sms) == 2


def test_the_message_needs_the_change_deal_permission(client, classic, contacts_on_the_board, queued_sms):
    no_role = UserFactory(username="no_role")
    client.force_login(no_role)
    url = reverse("opportunities:board_message")
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "Hi"}).status_code == 403
    assert queued_sms == []


def test_the_default_sms_backend_logs_the_message(settings, caplog):
    settings.CRM_SMS_BACKEND = "crm.sms.LogBackend"
    with caplog.at_level("INFO", logger="crm.sms"):
        sms.send_sms(to="+46701234567", body="Hello")
    assert "SMS to +46701234567: Hello" in caplog.text


def test_the_batch_message_texts_only_contacts_of_deals_the_user_may_edit(
    classic, personas, contacts_on_the_board, queued_sms
):
    # The rep sees every deal but edits only their own, unassigned and their team's: the other
    # team's deal shows on the board, and its contact ("Other") is counted, not texted.
    recipients = messaging.board_recipients(user=personas.rep, query=quarter_query(classic))
    names = {person.first_name for person in recipients.people}
    assert "Other" not in names and "Agreed" in names
    assert recipients.not_editable == 1
    report = messaging.board_message_send(actor=personas.rep, query=quarter_query(classic), body="Hi")
    assert "+46701234571" not in {message.to for message in queued_sms}
    assert report.queued == len(recipients.people)
