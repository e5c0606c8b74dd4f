"""The sales board in the browser: dragging cards between stage columns (SortableJS + htmx),
the dialog of missing items when a stage's rules are not met, and the totals."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contacts.models import Sector
from opportunities.models import Deal, Pipeline, VolumeUnit
from tests.factories import CompanyFactory, DealFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GOOD_NAME = "200GB - Movie soundfiles in different languages - preservation"
PHONE = {"width": 390, "height": 844}


def stages_of(name: str):
    pipeline = Pipeline.objects.get(name=name)
    return pipeline, {stage.name: stage for stage in pipeline.stages.all()}


def column(page, stage):
    return page.locator(f'[data-testid="board-column"][data-stage-id="{stage.pk}"]')


def card(page, deal):
    return page.locator(f'[data-testid="deal-card"][data-deal-id="{deal.pk}"]')


def drag(page, deal, stage):
    """Drag the deal's card into the stage's column the way a mouse does it."""
    source = card(page, deal)
    target = column(page, stage).get_by_test_id("column-cards")
    source.drag_to(target)


def total(page, currency: str, figure: str):
    return page.locator(f'[data-testid="total"][data-currency="{currency}"] [data-figure="{figure}"]')


def test_a_card_dragged_to_a_stage_whose_rules_are_met_moves_and_the_totals_follow(page, log_in, rep):
    pipeline, stages = stages_of("Classic")
    today = datetime.date.today()
    company = CompanyFactory(name="Globex", owner=rep)
    deal = DealFactory(
        pipeline=pipeline,
        stage=stages["Quotation"],
        name="Globex archive",
        company=company,
        owner=rep,
        value=Decimal("1000"),
        expected_close_date=today,
    )
    DealFactory(
        pipeline=pipeline,
        stage=stages["Negotiation"],
        owner=rep,
        value=Decimal("500"),
        expected_close_date=today,
    )
    log_in("rep")
    page.goto(f"/deals/board/?pipeline={pipeline.pk}&period=any")
    expect(card(page, deal)).to_contain_text("Globex archive")
    expect(card(page, deal)).to_contain_text("1,000 EUR")
    # 1000 × 50 % (Quotation) + 500 × 75 % (Negotiation)
    expect(total(page, "EUR", "weighted")).to_have_text("875")
    expect(column(page, stages["Negotiation"]).get_by_test_id("column-count")).to_have_text("1")

    drag(page, deal, stages["Negotiation"])

    negotiation = column(page, stages["Negotiation"])
    expect(negotiation.get_by_test_id("column-count")).to_have_text("2")
    expect(negotiation.locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(column(page, stages["Quotation"]).get_by_test_id("column-count")).to_have_text("0")
    # now 1000 × 75 % + 500 × 75 %
    expect(total(page, "EUR", "weighted")).to_have_text("1,125")
    expect(total(page, "EUR", "projected")).to_have_text("1,500")
    expect(card(page, deal)).to_have_attribute("data-version", "2")
    deal.refresh_from_db()
    assert deal.stage == stages["Negotiation"]


def test_a_card_dragged_to_a_stage_whose_rules_are_not_met_asks_for_what_is_missing(page, log_in, rep):
    pipeline, stages = stages_of("Business Development Journey")
    company = CompanyFactory(name="Kramerica Industries", owner=rep)
    PersonFactory(first_name="Cosmo", last_name="Kramer", company=company, owner=rep)
    deal = DealFactory(pipeline=pipeline, stage=stages["Identify"], name="Archive project", owner=rep)
    log_in("rep")
    page.goto(f"/deals/board/?pipeline={pipeline.pk}&period=any")
    identify, qualify = column(page, stages["Identify"]), column(page, stages["Qualify"])
    expect(identify.locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()

    # The dialog lists every missing item; cancelling puts the card back.
    drag(page, deal, stages["Qualify"])
    dialog = page.get_by_test_id("stage-move-dialog")
    expect(dialog).to_be_visible()
    missing = dialog.get_by_test_id("missing-items")
    for text in [
        "Qualify needs a company.",
        "Qualify needs a primary contact person.",
        "Qualify needs an expected close date.",
        "Qualify needs an estimated value.",
        "Qualify needs a volume of information",
        "Qualify needs public or private sector.",
        "Qualify needs a use case.",
        "amount of data - content - service",
    ]:
        expect(missing).to_contain_text(text)
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(identify.locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(qualify.locator(f'[data-deal-id="{deal.pk}"]')).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage == stages["Identify"]

    # Filling them in completes the move in one step.
    drag(page, deal, stages["Qualify"])
    expect(dialog).to_be_visible()
    dialog.locator('input[name="company__search"]').fill("Kramerica")
    expect(dialog.locator('select[name="company"] option', has_text="Kramerica Industries")).to_have_count(1)
    dialog.locator('select[name="company"]').select_option(
        label="Kramerica Industries (" + company.email_domain + ")"
    )
    dialog.locator('input[name="primary_contact__search"]').fill("Kramer")
    contact_option = dialog.locator('select[name="primary_contact"] option', has_text="Cosmo Kramer")
    expect(contact_option).to_have_count(1)
    dialog.locator('select[name="primary_contact"]').select_option(
        value=contact_option.get_attribute("value")
    )
    dialog.locator('input[name="name"]').fill(GOOD_NAME)
    dialog.locator('input[name="expected_close_date"]').fill("2027-03-31")
    dialog.locator('input[name="value"]').fill("180000")
    dialog.locator('input[name="volume_amount"]').fill("200")
    dialog.locator('select[name="volume_unit"]').select_option(label="GB")
    dialog.locator('select[name="sector"]').select_option(label="Public")
    dialog.locator('textarea[name="use_case"]').fill("Keep the archive readable for 500 years.")
    dialog.get_by_role("button", name="Move to Qualify").click()

    expect(dialog).to_be_hidden()
    expect(qualify.locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(qualify.get_by_test_id("column-count")).to_have_text("1")
    expect(card(page, deal)).to_contain_text("180,000 EUR")
    deal.refresh_from_db()
    assert deal.stage == stages["Qualify"]
    assert (deal.name, deal.value, deal.company, deal.primary_contact.last_name) == (
        GOOD_NAME,
        Decimal("180000"),
        company,
        "Kramer",
    )
    assert (deal.volume_unit, deal.sector) == (
        VolumeUnit.objects.get(name="GB"),
        Sector.objects.get(name="Public"),
    )

    # The next stage's checklist: ticks in the dialog.
    drag(page, deal, stages["Develop"])
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("missing-items")).to_contain_text(
        "Develop: confirm that the client has verified"
    )
    for criterion in stages["Develop"].criteria.all():
        dialog.get_by_label(criterion.text).check()
    dialog.locator('textarea[name="business_case"]').fill("Cheaper than migrating every five years.")
    dialog.get_by_role("button", name="Move to Develop").click()
    expect(dialog).to_be_hidden()
    expect(column(page, stages["Develop"]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).confirmations.count() == 2


def test_a_card_dropped_on_a_stage_of_another_pipeline_is_refused_and_snaps_back(page, log_in, rep):
    pipeline, stages = stages_of("Classic")
    deal = DealFactory(
        pipeline=pipeline, stage=stages["Quotation"], owner=rep, expected_close_date=datetime.date.today()
    )
    foreign = Pipeline.objects.get(name="Standard").stages.get(name="Offer")
    log_in("rep")
    page.goto(f"/deals/board/?pipeline={pipeline.pk}&period=any")
    # A tampered page: the Negotiation column claims to be a stage of another pipeline.
    negotiation = column(page, stages["Negotiation"]).get_by_test_id("column-cards")
    negotiation.evaluate(f"element => element.dataset.stageId = '{foreign.pk}'")

    card(page, deal).drag_to(negotiation)

    expect(page.get_by_test_id("board-alert")).to_contain_text("That move is not possible")
    expect(column(page, stages["Quotation"]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(column(page, stages["Negotiation"]).get_by_test_id("column-count")).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages["Quotation"], 1)


def test_the_board_scrolls_its_columns_sideways_on_a_phone(page, log_in, rep):
    pipeline, stages = stages_of("Classic")
    DealFactory(
        pipeline=pipeline, stage=stages["Prospecting"], owner=rep, expected_close_date=datetime.date.today()
    )
    page.set_viewport_size(PHONE)
    log_in("rep")
    page.goto(f"/deals/board/?pipeline={pipeline.pk}&period=any")
    columns = page.get_by_test_id("board-columns")
    expect(columns).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 4
    assert columns.evaluate("element => element.scrollWidth > element.clientWidth")


def test_at_1440_px_cards_show_whole_names_and_column_figures_stay_inside_their_column(page, log_in, rep):
    pipeline, stages = stages_of("Business Development Journey")
    long_name = "50 000 000 pages - Legal documents from the district courts - digitization & preservation"
    deal = DealFactory(pipeline=pipeline, stage=stages["Identify"], name=long_name, owner=rep, currency="HUF")
    for currency, value in [("EUR", "987654321"), ("SEK", "876543210"), ("HUF", "123456789012")]:
        DealFactory(
            pipeline=pipeline, stage=stages["Identify"], owner=rep, currency=currency, value=Decimal(value)
        )
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in("rep")
    page.goto(f"/deals/board/?pipeline={pipeline.pk}&period=any")

    name = card(page, deal).get_by_test_id("deal-name")
    expect(name).to_have_text(long_name)
    assert name.evaluate("element => element.scrollWidth <= element.clientWidth")  # nothing cut off

    identify = column(page, stages["Identify"])
    right_edge = identify.evaluate("element => element.getBoundingClientRect().right")
    figures = identify.get_by_test_id("figures")
    expect(figures).to_have_count(3)
    for index in range(3):
        box = figures.nth(index).evaluate(
            "element => { const r = element.getBoundingClientRect(); return [r.right, element.scrollWidth, element.clientWidth]; }"
        )
        assert box[0] <= right_edge and box[1] <= box[2], box
