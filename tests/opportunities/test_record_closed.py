"""opportunities.services.deal_record_closed (past wins and losses, e.g. from an import) and the
messages and transactions of the deal services: each test here killed a surviving mutant of
scripts/mutation.sh deals."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opportunities import services
from opportunities.models import (
    CriterionConfirmation,
    Deal,
    DealContact,
    Pipeline,
    SalesOrder,
    Stage,
    StageCriterion,
)
from tests.factories import CompanyFactory, DealFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard():
    return Pipeline.objects.get(name="Standard")


def stage_of(pipeline, kind):
    return pipeline.stages.filter(kind=kind).order_by("position").first()


def record(actor, pipeline, stage, closed_on, **kwargs):
    values = {"name": "Past sale", "currency": "EUR", "value": 1000, "company": CompanyFactory()}
    return services.deal_record_closed(
        actor=actor, pipeline=pipeline, stage=stage, values=values, closed_on=closed_on, **kwargs
    )


def test_a_past_win_is_recorded_won_on_its_date_without_a_sales_order(admin, standard):
    day = timezone.localdate() - datetime.timedelta(days=400)
    deal = record(admin, standard, stage_of(standard, Stage.Kind.WON), day)
    deal.refresh_from_db()
    assert (deal.stage.kind, deal.closed_on) == (Stage.Kind.WON, day)
    assert not SalesOrder.objects.filter(deal=deal).exists()


def test_a_past_win_gets_its_sales_order_when_asked(admin, standard):
    day = timezone.localdate() - datetime.timedelta(days=3)
    deal = record(admin, standard, stage_of(standard, Stage.Kind.WON), day, sales_order=True)
    assert SalesOrder.objects.filter(deal=deal).count() == 1


def test_a_closed_deal_recorded_today_is_accepted(admin, standard):
    deal = record(admin, standard, stage_of(standard, Stage.Kind.LOST), timezone.localdate())
    assert deal.closed_on == timezone.localdate()


@pytest.mark.parametrize(
    ("kind", "days_ago", "field", "message"),
    [
        (Stage.Kind.OPEN, 3, "stage", "Choose a won or lost stage"),
        (Stage.Kind.WON, None, "closed_on", "needs the date"),
        (Stage.Kind.WON, -1, "closed_on", "cannot be in the future"),
        (Stage.Kind.LOST, -30, "closed_on", "cannot be in the future"),
    ],
)
def test_a_closed_deal_needs_a_closed_stage_and_a_past_date(admin, standard, kind, days_ago, field, message):
    closed_on = None if days_ago is None else timezone.localdate() - datetime.timedelta(days=days_ago)
    with pytest.raises(ValidationError) as refused:
        record(admin, standard, stage_of(standard, kind), closed_on)
    assert message in " ".join(refused.value.message_dict[field])
    assert not Deal.objects.filter(name="Past sale").exists()


def test_a_stage_of_another_pipeline_is_refused_by_name(admin, standard):
    other = Pipeline.objects.create(name="Service contracts")
    won_elsewhere = Stage.objects.create(pipeline=other, name="Signed", kind=Stage.Kind.WON, position=9)
    with pytest.raises(ValidationError) as refused:
        record(admin, standard, won_elsewhere, timezone.localdate())
    assert refused.value.message_dict["stage"] == ["Choose a stage of the deal's own pipeline (Standard)."]


def test_a_failing_sales_order_leaves_no_recorded_deal(admin, standard, monkeypatch):
    def broken_handler(**kwargs):
        raise RuntimeError("the order numbering is down")

    monkeypatch.setattr(services, "_won_deal_handlers", [broken_handler])
    with pytest.raises(RuntimeError):
        record(admin, standard, stage_of(standard, Stage.Kind.WON), timezone.localdate(), sales_order=True)
    assert not Deal.objects.filter(name="Past sale").exists()


def test_an_edit_whose_hook_fails_is_not_saved(admin, monkeypatch):
    deal = DealFactory(name="Before the edit")

    def broken_hook(**kwargs):
        raise RuntimeError("an automation rule failed")

    monkeypatch.setattr(services, "_saved_deal_handlers", [broken_hook])
    with pytest.raises(RuntimeError):
        services.deal_update(actor=admin, deal=deal, changes={"name": "After"}, expected_version=deal.version)
    deal.refresh_from_db()
    assert deal.name == "Before the edit"


def test_a_contact_whose_audit_row_fails_is_not_added(admin, monkeypatch):
    deal, person = DealFactory(), PersonFactory()

    def broken_audit(**kwargs):
        raise RuntimeError("the audit table is full")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        services.deal_contact_add(actor=admin, deal=deal, person=person)
    assert not DealContact.objects.filter(deal=deal, person=person).exists()


def test_criteria_of_another_pipeline_are_refused_by_name(admin, standard):
    other = Pipeline.objects.create(name="Service contracts")
    elsewhere = Stage.objects.create(pipeline=other, name="Qualified", position=1)
    foreign = StageCriterion.objects.create(stage=elsewhere, text="Budget confirmed")
    with pytest.raises(ValidationError) as refused:
        services.deal_create(
            actor=admin,
            pipeline=standard,
            values={"name": "Ticked elsewhere", "currency": "EUR"},
            confirmed_criteria=[foreign],
        )
    assert refused.value.message_dict["criteria"] == ["Tick only criteria of the pipeline Standard."]


def gated_stage(pipeline):
    """The second open stage of `pipeline`, with one criterion to tick on entry."""
    stage = pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("position")[1]
    return stage, StageCriterion.objects.create(stage=stage, text="Decision maker met")


def ready_deal(pipeline):
    """A deal with what the Standard pipeline's second stage asks for besides the tick."""
    return DealFactory(
        pipeline=pipeline,
        company=CompanyFactory(),
        value=5000,
        expected_close_date=timezone.localdate() + datetime.timedelta(days=30),
    )


def test_a_tick_records_who_gave_it(admin, standard):
    stage, criterion = gated_stage(standard)
    deal = ready_deal(standard)
    services.deal_move_stage(
        actor=admin, deal=deal, stage=stage, expected_version=deal.version, confirmed_criteria=[criterion]
    )
    confirmation = CriterionConfirmation.objects.get(deal=deal, criterion=criterion)
    assert confirmation.confirmed_by == admin


def test_a_tick_given_again_with_a_move_still_counts(admin, standard):
    """A criterion already ticked and ticked again in the move's dialog is confirmed once, not
    cancelled out."""
    stage, criterion = gated_stage(standard)
    deal = ready_deal(standard)
    CriterionConfirmation.objects.create(deal=deal, criterion=criterion, confirmed_by=admin)
    moved = services.deal_move_stage(
        actor=admin, deal=deal, stage=stage, expected_version=deal.version, confirmed_criteria=[criterion]
    )
    assert moved.stage == stage
