"""No path goes round a stage gate: whatever the deal holds and whatever sequence of stages it is
moved through (forwards, backwards, into lost, out of lost, into won), every stage it reaches has
its requirements met, and every open stage below it too (property-based, with hypothesis)."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import BusinessUnit, Sector
from opportunities import pipeline as gates
from opportunities import services
from opportunities.models import (
    REQUIREMENT_FIELDS,
    CriterionConfirmation,
    Deal,
    Pipeline,
    Stage,
    Vertical,
    VolumeUnit,
    requirement_alternatives,
)
from tests.factories import CompanyFactory, DealFactory, PersonFactory

GOOD_NAME = "200GB - Movie soundfiles in different languages - preservation"
PIPELINES = ["Business Development Journey", "Standard", "Classic"]


@pytest.fixture
def field_values(rep):
    company = CompanyFactory(owner=rep)
    contact = PersonFactory(owner=rep, company=company)
    return {
        "company": {"company": company},
        "primary_contact": {"primary_contact": contact},
        "contact_person": {"primary_contact": contact},
        "prioritised_vertical": {"vertical": Vertical.objects.filter(is_prioritised=True).first()},
        "description": {"description": "Their archive law changes next year."},
        "expected_close_date": {"expected_close_date": datetime.date(2027, 3, 31)},
        "value": {"value": Decimal("180000")},
        "volume": {"volume_amount": Decimal("200"), "volume_unit": VolumeUnit.objects.get(name="GB")},
        "sector": {"sector": Sector.objects.get(name="Public")},
        "vertical": {"vertical": None},  # filled below when the lookup has rows
        "business_unit": {"business_unit": BusinessUnit.objects.first()},
        "use_case": {"use_case": "Keep the court's records readable for 500 years."},
        "business_case": {"business_case": "Cheaper than migrating every five years."},
        "probability": {"probability": 40},
        "lost_reason": {"lost_reason": "Went with a competitor"},
    }


def open_stages_below(stage: Stage) -> list[Stage]:
    """The open stages a deal in `stage` must have met: up to it, or all of them once won."""
    stages = Stage.objects.filter(pipeline_id=stage.pipeline_id, kind=Stage.Kind.OPEN)
    if stage.kind == Stage.Kind.OPEN:
        stages = stages.filter(position__lte=stage.position)
    return list(stages.prefetch_related("criteria"))


def unmet(deal: Deal) -> list[str]:
    confirmed = set(deal.confirmations.values_list("criterion_id", flat=True))
    stages = (
        [deal.stage] if deal.stage.kind == Stage.Kind.LOST else [*open_stages_below(deal.stage), deal.stage]
    )
    return [item.message for stage in stages for item in gates.missing_for_stage(deal, stage, confirmed)]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_sequence_of_moves_reaches_a_stage_whose_requirements_are_unmet(admin, field_values, data):
    pipeline = Pipeline.objects.get(name=data.draw(st.sampled_from(PIPELINES), label="pipeline"))
    stages = list(pipeline.stages.order_by("position").prefetch_related("criteria"))
    first = stages[0]
    with transaction.atomic():
        values = {}
        for key in data.draw(st.sets(st.sampled_from(sorted(REQUIREMENT_FIELDS))), label="filled"):
            values.update(field_values[key])
        for entry in first.required_fields or []:  # the deal starts where it was created, legitimately
            values.update(field_values[requirement_alternatives(entry)[0]])
        name = GOOD_NAME if data.draw(st.booleans(), label="good name") else "An archive"
        deal = DealFactory(pipeline=pipeline, stage=first, name=name, owner=admin, **values)
        criteria = [criterion for stage in stages for criterion in stage.criteria.all()]
        ticked = data.draw(st.sets(st.sampled_from(criteria)) if criteria else st.just(set()), label="ticked")
        for criterion in {*ticked, *first.criteria.all()}:
            CriterionConfirmation.objects.create(deal=deal, criterion=criterion, confirmed_by=admin)
        assert unmet(deal) == []

        for target in data.draw(st.lists(st.sampled_from(stages), min_size=1, max_size=8), label="moves"):
            try:
                deal = services.deal_move_stage(
                    actor=admin, deal=deal, stage=target, expected_version=deal.version
                )
            except gates.StageGateError:
                deal.refresh_from_db()
                continue
            deal = Deal.objects.select_related("stage").get(pk=deal.pk)
            assert deal.stage == target
            assert unmet(deal) == [], f"reached {target.name} with unmet requirements"
        transaction.set_rollback(True)


@pytest.mark.parametrize("pipeline_name", PIPELINES)
def test_a_lost_deal_is_not_won_or_reopened_round_the_gates(admin, pipeline_name):
    pipeline = Pipeline.objects.get(name=pipeline_name)
    stages = list(pipeline.stages.order_by("position"))
    lost = next(stage for stage in stages if stage.kind == Stage.Kind.LOST)
    won = next(stage for stage in stages if stage.kind == Stage.Kind.WON)
    gated = [
        stage
        for stage in stages
        if stage.kind == Stage.Kind.OPEN and (stage.required_fields or stage.name_rule)
    ]
    deal = DealFactory(pipeline=pipeline, stage=stages[0], name="An archive", owner=admin)
    deal = services.deal_move_stage(
        actor=admin, deal=deal, stage=lost, expected_version=deal.version, changes={"lost_reason": "Budget"}
    )
    if not gated and not any(stage.criteria.exists() for stage in stages if stage.kind == Stage.Kind.OPEN):
        pytest.skip(f"{pipeline_name} has no open stage with requirements")
    with pytest.raises(gates.StageGateError):
        services.deal_move_stage(actor=admin, deal=deal, stage=won, expected_version=deal.version)
    for stage in gated:
        with pytest.raises(gates.StageGateError):
            services.deal_move_stage(actor=admin, deal=deal, stage=stage, expected_version=deal.version)
    deal.refresh_from_db()
    assert deal.stage == lost
