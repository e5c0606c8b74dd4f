"""Seed 000's Business Development Journey on the board: a deal dragged into Identify, then Qualify,
then Develop, the move dialog asking at each step for exactly what that stage's gate asks, and the
rep filling in just that."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contacts.models import Sector
from opportunities import services
from opportunities.models import Deal, Pipeline, VolumeUnit
from tests.factories import CompanyFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAME = "10 000 pages - Legal documents - Digitization"


def column(page, stage):
    return page.locator(f'[data-testid="board-column"][data-stage-id="{stage.pk}"]')


def card(page, deal):
    return page.locator(f'[data-testid="deal-card"][data-deal-id="{deal.pk}"]')


def drag(page, deal, stage):
    card(page, deal).drag_to(column(page, stage).get_by_test_id("column-cards"))


def moved(page, deal, stage) -> Deal:
    """Wait for the board to show the deal in `stage` as saved (its card carries the new version:
    the next drag must not send the old one), and return it from the database."""
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage == stage
    expect(column(page, stage).locator(f'[data-deal-id="{deal.pk}"]')).to_have_attribute(
        "data-version", str(deal.version)
    )
    return deal


def asked_for(dialog) -> set[str]:
    """The names of the inputs the dialog's form asks the rep to fill in (search boxes aside)."""
    names = dialog.locator("#stage-move form [name]").evaluate_all(
        "elements => elements.filter(e => e.type !== 'hidden').map(e => e.name)"
    )
    return {name for name in names if not name.endswith("__search")}


def pick(dialog, field: str, search: str, label: str):
    """Choose a record in an autocomplete picker: type, wait for the option, select it."""
    dialog.locator(f'input[name="{field}__search"]').fill(search)
    option = dialog.locator(f'select[name="{field}"] option', has_text=label)
    expect(option).to_have_count(1)
    dialog.locator(f'select[name="{field}"]').select_option(value=option.get_attribute("value"))


def test_a_deal_is_dragged_through_identify_qualify_and_develop_filling_what_each_gate_asks(
    page, log_in, rep
):
    pipeline = Pipeline.objects.get(name="Business Development Journey")
    stages = {stage.name: stage for stage in pipeline.stages.all()}
    company = CompanyFactory(name="Madhya Pradesh High Court", owner=rep)
    PersonFactory(
        first_name="Priya", last_name="Sharma", email="priya@mphc.gov.in", company=company, owner=rep
    )
    # A deal lost before anyone qualified it: reopening it goes through Identify's gate.
    deal = services.deal_create(
        actor=rep,
        pipeline=pipeline,
        stage=stages["Lost"],
        values={"name": "Court records", "owner": rep, "lost_reason": "Budget moved to next year"},
    )
    log_in("rep")
    page.goto(f"/deals/board/?pipeline={pipeline.pk}&period=any&lost=on")
    dialog = page.get_by_test_id("stage-move-dialog")
    missing = dialog.get_by_test_id("missing-items")

    # Identify: the two entry criteria, and a prioritised vertical or the reason in Description.
    drag(page, deal, stages["Identify"])
    expect(dialog).to_be_visible()
    expect(missing).to_contain_text(
        "Identify needs one of the prioritised verticals, or the reason for adding it, written in the description."
    )
    expect(missing).to_contain_text(
        "Identify: confirm that there is a clear need for one or all of our services"
    )
    expect(missing).to_contain_text("Identify: confirm that the customer has access to finance")
    criteria = [f"criterion_{criterion.pk}" for criterion in stages["Identify"].criteria.all()]
    assert asked_for(dialog) == {"vertical", "description", *criteria}
    expect(dialog.get_by_text("Prioritised: Archives")).to_be_visible()
    dialog.locator('textarea[name="description"]').fill("The High Court must digitise 10 000 pages by 2027.")
    for criterion in stages["Identify"].criteria.all():
        dialog.get_by_label(criterion.text).check()
    dialog.get_by_role("button", name="Move to Identify").click()
    expect(dialog).to_be_hidden()
    deal = moved(page, deal, stages["Identify"])
    assert (deal.vertical, deal.confirmations.count()) == (None, 2)

    # Qualify: the guide's mandatory information, a valid contact person and a use case.
    drag(page, deal, stages["Qualify"])
    expect(dialog).to_be_visible()
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
    assert asked_for(dialog) == {
        "name", "company", "primary_contact", "expected_close_date", "value", "currency", "volume_amount",
        "volume_unit", "sector", "use_case",
    }  # fmt: skip
    dialog.locator('input[name="name"]').fill(NAME)
    pick(dialog, "company", "Madhya", "Madhya Pradesh High Court")
    pick(dialog, "primary_contact", "Sharma", "Priya Sharma")
    dialog.locator('input[name="expected_close_date"]').fill("2027-01-15")
    dialog.locator('input[name="value"]').fill("180000")
    dialog.locator('input[name="volume_amount"]').fill("10000")
    dialog.locator('select[name="volume_unit"]').select_option(label="pages")
    dialog.locator('select[name="sector"]').select_option(label="Public")
    dialog.locator('textarea[name="use_case"]').fill("Court records readable for 500 years, offline.")
    dialog.get_by_role("button", name="Move to Qualify").click()
    expect(dialog).to_be_hidden()
    deal = moved(page, deal, stages["Qualify"])
    assert (deal.name, deal.company, deal.primary_contact.last_name, deal.value) == (
        NAME,
        company,
        "Sharma",
        Decimal("180000"),
    )
    assert (deal.volume_unit, deal.sector) == (
        VolumeUnit.objects.get(name="pages"),
        Sector.objects.get(name="Public"),
    )

    # Develop: the client verified the use case, a PoC if needed (ticks), and the business case.
    drag(page, deal, stages["Develop"])
    expect(dialog).to_be_visible()
    expect(missing).to_contain_text("Develop needs a business case.")
    expect(missing).to_contain_text("Develop: confirm that the client has verified the use case")
    expect(missing).to_contain_text(
        "Develop: confirm that a proof of concept has been produced, if one was needed"
    )
    criteria = [f"criterion_{criterion.pk}" for criterion in stages["Develop"].criteria.all()]
    assert asked_for(dialog) == {"business_case", *criteria}
    dialog.locator('textarea[name="business_case"]').fill("Half the cost of migrating every five years.")
    for criterion in stages["Develop"].criteria.all():
        dialog.get_by_label(criterion.text).check()
    dialog.get_by_role("button", name="Move to Develop").click()
    expect(dialog).to_be_hidden()
    deal = moved(page, deal, stages["Develop"])
    assert (deal.business_case, deal.confirmations.count()) == (
        "Half the cost of migrating every five years.",
        4,
    )
