"""Products and deal lines, quotes (numbered, versioned, HTML + PDF on the deal), sales orders on
win, and the sales targets page."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from crm.models import AuditEvent
from opportunities import services
from opportunities.models import Deal, DealLine, Product, Quote, SalesOrder, SalesTarget, Stage
from opportunities.sales import services as sales
from opportunities.sales import targets
from tests.factories import CompanyFactory, DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


@pytest.fixture
def product(db):
    return Product.objects.get(code="SRV-PM")  # seeded: 110.00 EUR


@pytest.fixture
def deal(rep):
    return DealFactory(name="Archive scan", owner=rep, company=CompanyFactory(name="Riksarkivet <b>"))


def add(deal, actor, **values):
    values = {
        "product": None,
        "description": "Work",
        "quantity": Decimal(1),
        "unit_price": Decimal(10),
        **values,
    }
    return sales.deal_line_add(actor=actor, deal=deal, values=values)


def login(client, user):
    client.force_login(user)
    return client


# -- Lines ---------------------------------------------------------------------------------------


def test_a_line_total_applies_quantity_price_and_discount(deal, rep, product):
    line = add(
        deal, rep, product=product, description="", unit_price=None, quantity=Decimal(3), discount=Decimal(10)
    )
    assert line.unit_price == Decimal("110.00")
    assert line.total == Decimal("297.00")
    assert AuditEvent.objects.filter(verb="add line", object_id=str(deal.pk)).exists()


def test_the_lines_total_can_set_the_deal_value_through_deal_update(deal, rep):
    add(deal, rep, quantity=Decimal(2), unit_price=Decimal("50.25"))
    line = sales.deal_line_add(
        actor=rep,
        deal=deal,
        values={
            "description": "More",
            "quantity": Decimal(1),
            "unit_price": Decimal(100),
            "discount": Decimal(50),
        },
        update_deal_value=True,
    )
    deal.refresh_from_db()
    assert deal.value == Decimal("150.50")
    assert deal.version == 2
    sales.deal_line_delete(actor=rep, line=line, update_deal_value=True)
    deal.refresh_from_db()
    assert deal.value == Decimal("100.50")


def test_a_product_in_another_currency_needs_a_price(deal, rep, product):
    product.currency = "SEK"
    product.save()
    with pytest.raises(ValidationError, match="SEK"):
        add(deal, rep, product=product, unit_price=None)
    assert not deal.lines.exists()


# -- Quotes -------------------------------------------------------------------------------------


def test_a_quote_is_numbered_versioned_with_lines_copied_and_a_real_pdf_on_the_deal(deal, rep, product):
    add(deal, rep, product=product, description="", unit_price=None, quantity=Decimal(2))
    add(deal, rep, description="Rush fee", unit_price=Decimal(30), discount=Decimal(100))
    first = sales.quote_create(actor=rep, deal=deal)
    year = first.created_at.year
    assert first.number == f"Q-{year}-0001"
    assert first.version == 1
    assert [(line.label, line.total) for line in first.lines.all()] == [
        ("Project management, per hour", Decimal("220.00")),
        ("Rush fee", Decimal("0.00")),
    ]
    assert first.total == Decimal("220.00")
    assert "Riksarkivet &lt;b&gt;" in first.html  # auto-escaping stays on
    pdf = first.document.file.read()
    assert pdf.startswith(b"%PDF")
    assert first.number in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert first.document.object_id == deal.pk
    assert first.document.content_type == ContentType.objects.get_for_model(Deal)

    DealLine.objects.filter(deal=deal).update(quantity=5)
    second = sales.quote_create(actor=rep, deal=deal)
    assert (second.number, second.version) == (f"Q-{year}-0002", 2)
    assert second.total == Decimal("550.00")
    assert first.lines.first().quantity == 2  # the old version keeps its lines


def test_a_deal_without_lines_cannot_be_quoted(deal, rep):
    with pytest.raises(ValidationError, match="at least one line"):
        sales.quote_create(actor=rep, deal=deal)
    assert not Quote.objects.exists()


# -- Orders -------------------------------------------------------------------------------------


def test_winning_a_deal_makes_one_sales_order(deal, rep):
    add(deal, rep, unit_price=Decimal(500))
    won = Stage.objects.get(pipeline=deal.pipeline, kind=Stage.Kind.WON)
    assert sales.sales_order_for_won_deal(actor=rep, deal=deal) is None  # not won yet
    Deal.objects.filter(pk=deal.pk).update(stage=won)
    order = sales.sales_order_for_won_deal(actor=rep, deal=deal)
    again = sales.sales_order_for_won_deal(actor=rep, deal=deal)
    assert order.pk == again.pk
    assert SalesOrder.objects.count() == 1
    assert order.number.startswith("SO-")
    assert order.total == Decimal("500.00")
    assert order.document.file.read().startswith(b"%PDF")


def test_an_order_can_be_made_inside_the_stage_move_transaction(deal, rep):
    Deal.objects.filter(pk=deal.pk).update(value=Decimal(80), expected_close_date=datetime.date(2026, 1, 1))
    deal.refresh_from_db()
    won = Stage.objects.get(pipeline=deal.pipeline, kind=Stage.Kind.WON)
    moved = services.deal_move_stage(actor=rep, deal=deal, stage=won, expected_version=deal.version)
    order = sales.sales_order_for_won_deal(actor=rep, deal=moved)
    assert order.total == Decimal("80.00")
    assert [line.label for line in order.lines.all()] == ["Archive scan"]


# -- Views --------------------------------------------------------------------------------------


def post_line(client, deal, **data):
    return client.post(
        reverse("opportunities:deal_line_add", args=[deal.pk]),
        {"description": "Work", "quantity": "1", "unit_price": "10", **data},
        follow=True,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "-1"}, "more than zero"),
        ({"discount": "150"}, "more than 100"),
        ({"unit_price": "-5"}, "cannot be negative"),
        ({"product": "999999", "description": ""}, "does not exist"),
        ({"description": "", "unit_price": ""}, "Choose a product"),
        ({"quantity": "abc"}, "number"),
    ],
)
def test_bad_line_input_is_explained_and_nothing_is_saved(client, rep, deal, data, message):
    response = post_line(login(client, rep), deal, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not deal.lines.exists()


def test_a_rep_adds_a_line_and_sets_the_value(client, rep, deal):
    post_line(login(client, rep), deal, update_deal_value="on", quantity="3")
    deal.refresh_from_db()
    assert deal.value == Decimal("30.00")


def test_lines_of_someone_elses_deal_cannot_be_touched(client, rep, deals_by_owner):
    login(client, rep)
    hidden = deals_by_owner["admin"]  # visible to reps but not editable
    assert post_line(client, hidden).status_code == 403
    line = add(deals_by_owner["rep"], rep)
    other = reverse("opportunities:deal_line_delete", args=[deals_by_owner["unassigned"].pk, line.pk])
    assert client.post(other).status_code == 404
    assert DealLine.objects.filter(pk=line.pk).exists()


def test_restricted_cannot_see_another_deal(client, restricted, deals_by_owner):
    login(client, restricted)
    assert post_line(client, deals_by_owner["rep"]).status_code == 404


def test_quote_views_make_show_and_download(client, rep, deal):
    add(deal, rep)
    login(client, rep)
    response = client.post(reverse("opportunities:quote_create", args=[deal.pk]))
    quote = Quote.objects.get()
    assert response.url == quote.get_absolute_url()
    page = client.get(quote.get_absolute_url())
    assert quote.number in page.content.decode()
    download = client.get(reverse("opportunities:quote_pdf", args=[quote.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_quote_of_an_empty_deal_is_refused_with_a_message(client, rep, deal):
    response = login(client, rep).post(reverse("opportunities:quote_create", args=[deal.pk]), follow=True)
    assert "at least one line" in response.content.decode()
    assert not Quote.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("rep", 200), ("rep_other_team", 200), ("restricted", 404)],
)
def test_a_quote_is_visible_with_its_deal(client, personas, deal, rep, persona, status):
    add(deal, rep)
    quote = sales.quote_create(actor=rep, deal=deal)
    login(client, getattr(personas, persona))
    assert client.get(quote.get_absolute_url()).status_code == status
    assert client.get(reverse("opportunities:quote_pdf", args=[quote.pk])).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 302), ("manager", 302), ("rep", 302), ("rep_other_team", 403), ("restricted", 404)],
)
def test_who_may_add_lines_and_quote_a_reps_deal(client, personas, deal, persona, status):
    login(client, getattr(personas, persona))
    assert client.post(reverse("opportunities:deal_line_add", args=[deal.pk]), {}).status_code == status
    assert client.post(reverse("opportunities:quote_create", args=[deal.pk])).status_code == status
    assert not Quote.objects.exists()


def test_line_routes_refuse_get(client, rep, deal):
    assert login(client, rep).get(reverse("opportunities:deal_line_add", args=[deal.pk])).status_code == 405


# -- Targets ------------------------------------------------------------------------------------


@pytest.fixture
def march(personas):
    pipeline_stages = {stage.kind: stage for stage in DealFactory.build().pipeline.stages.all()}
    won, open_stage = pipeline_stages[Stage.Kind.WON], DealFactory.build().stage
    in_march = datetime.date(2026, 3, 10)
    DealFactory(owner=personas.rep, stage=won, value=Decimal(1000), closed_on=in_march)
    DealFactory(owner=personas.rep, stage=won, value=Decimal(999), closed_on=datetime.date(2026, 4, 1))
    DealFactory(owner=personas.rep, stage=open_stage, value=Decimal(1000), expected_close_date=in_march)
    DealFactory(owner=personas.rep_other_team, stage=won, value=Decimal(300), closed_on=in_march)
    SalesTarget.objects.create(
        user=personas.rep, period_start=datetime.date(2026, 3, 1), amount=Decimal(2000)
    )
    SalesTarget.objects.create(user=personas.rep, period_start=datetime.date(2026, 1, 1), amount=Decimal(7000),
                               period_type="quarter")  # fmt: skip
    SalesTarget.objects.create(
        team=personas.north, period_start=datetime.date(2026, 3, 1), amount=Decimal(5000)
    )
    return targets.Period(datetime.date(2026, 3, 1))


def rows_by_name(rows):
    return {row.name: row for row in rows}


def test_target_comparison_for_a_manager(manager, rep, march, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        rows = rows_by_name(targets.target_comparison(manager, march))
    rep_row = rows[rep.get_full_name()]
    assert (rep_row.target, rep_row.won, rep_row.weighted) == (
        Decimal(2000),
        Decimal(1000),
        Decimal("100.00"),
    )
    assert rep_row.achieved_percent == 50
    assert rows["North"].target == Decimal(5000)
    assert rows["North"].won == Decimal(1000)
    # A Manager has every record, so every seller and team (seed 003).
    assert rows["South"].won == Decimal(300)


def test_target_comparison_for_a_manager_narrowed_to_their_teams(
    manager, rep, rep_other_team, march, managers_see_only_their_teams
):
    rows = rows_by_name(targets.target_comparison(manager, march))
    assert rows[rep.get_full_name()].won == Decimal(1000)
    assert rows["North"].won == Decimal(1000)
    assert "South" not in rows
    assert rep_other_team.get_full_name() not in rows


def test_a_quarter_uses_its_own_target(rep, march):
    rows = targets.target_comparison(rep, targets.Period(datetime.date(2026, 1, 1), "quarter"))
    assert [(row.target, row.won) for row in rows] == [(Decimal(7000), Decimal(1000))]


def test_a_rep_cannot_open_the_targets_report_unless_granted(client, rep, march):
    assert login(client, rep).get(reverse("opportunities:targets")).status_code == 403


def test_a_rep_granted_reports_sees_only_their_own_figures_on_the_page(client, rep, rep_other_team, march):
    rep.user_permissions.add(Permission.objects.get(codename="view_reports"))
    response = login(client, rep).get(reverse("opportunities:targets"), {"kind": "month", "month": "2026-03"})
    assert response.status_code == 200
    # The menu names the logged-in rep on every page, so read the targets table's rows only.
    table = response.content.decode().split('data-testid="targets"', 1)[1].split("</table>", 1)[0]
    sellers = re.findall(r"<tr[^>]*>\s*<td>(?:<strong>)?([^<]+)", table)
    assert sellers == [rep.get_full_name()]


def test_a_bad_period_falls_back_with_a_message(client, manager):
    response = login(client, manager).get(reverse("opportunities:targets"), {"kind": "year", "month": "x"})
    assert response.status_code == 200
    assert "valid period" in response.content.decode()


def test_a_target_names_a_seller_or_a_team(rep, personas):
    target = SalesTarget(user=rep, team=personas.north, period_start=datetime.date(2026, 3, 1), amount=1)
    with pytest.raises(ValidationError, match="either a seller or a team"):
        target.full_clean()
