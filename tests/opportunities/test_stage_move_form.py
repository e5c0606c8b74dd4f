"""The stage-move view: its stage comes through a form limited to the deal's own pipeline, and one
move runs the gate once, and locks the deal and checks its version once."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from opportunities import pipeline as gates
from opportunities.forms import StageChoiceForm
from opportunities.models import Deal, Pipeline, Stage
from tests.factories import CompanyFactory, DealFactory


def stages_of(pipeline_name: str) -> dict[str, Stage]:
    return {stage.name: stage for stage in Stage.objects.filter(pipeline__name=pipeline_name)}


@pytest.fixture
def gate_calls(monkeypatch):
    """How many times the gate (pipeline.missing_for_move) ran."""
    calls = []
    real = gates.missing_for_move

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(gates, "missing_for_move", counted)
    return calls


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


def ready_for_offer(rep, **values) -> Deal:
    """A Standard deal in Prospect with what Offer asks for (a company, a value, a close date)."""
    return DealFactory(
        owner=rep,
        company=CompanyFactory(owner=rep),
        value=Decimal("900"),
        expected_close_date=datetime.date(2027, 3, 31),
        **values,
    )


def move(client, deal, stage, **data):
    return client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]),
        {"stage": stage.pk, "version": deal.version, **data},
    )


# The stage form


@pytest.mark.parametrize(
    ("pipeline", "stage"),
    [("Classic", "Qualification"), ("Business Development Journey", "Identify"), ("Standard", None)],
)
def test_the_stage_form_offers_only_the_stages_of_the_deals_pipeline(db, pipeline, stage):
    deal = DealFactory()  # Standard
    chosen = stages_of(pipeline)[stage] if stage else stages_of("Standard")["Offer"]
    form = StageChoiceForm({"stage": chosen.pk, "version": 1}, deal=deal)
    assert set(form.fields["stage"].queryset) == set(stages_of("Standard").values())
    if pipeline == "Standard":
        assert form.is_valid()
    else:
        assert not form.is_valid()
        assert form.non_field_errors() == ["Choose a stage of the deal's own pipeline (Standard)."]


@pytest.mark.parametrize("pipeline", ["Classic", "Business Development Journey"])
def test_moving_to_a_stage_of_another_pipeline_is_a_form_error_and_changes_nothing(
    rep_client, rep, gate_calls, pipeline
):
    deal = ready_for_offer(rep)
    other = next(iter(stages_of(pipeline).values()))

    response = move(rep_client, deal, other)

    assert response.status_code == 400
    assert "Choose a stage of the deal&#x27;s own pipeline (Standard)." in response.content.decode()
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == ("Prospect", 1)
    assert gate_calls == []


def test_a_move_with_no_version_asks_to_reload(rep_client, rep):
    deal = ready_for_offer(rep)
    response = rep_client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]), {"stage": stages_of("Standard")["Offer"].pk}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["Reload the page and try again."]


# The gate once


def test_a_move_that_meets_the_gate_runs_it_once(rep_client, rep, gate_calls):
    deal = ready_for_offer(rep)
    response = move(rep_client, deal, stages_of("Standard")["Offer"])
    assert response.status_code == 302
    assert len(gate_calls) == 1
    deal.refresh_from_db()
    assert (deal.stage.name, deal.version) == ("Offer", 2)


def test_a_move_the_gate_refuses_runs_it_once_and_asks_for_what_is_missing(rep_client, rep, gate_calls):
    deal = DealFactory(owner=rep)  # no company, value or date
    response = move(rep_client, deal, stages_of("Standard")["Offer"], **{})
    assert response.status_code == 422
    assert len(gate_calls) == 1
    assert [item.message for item in response.context["missing"]] == [
        "Offer needs a company.",
        "Offer needs an estimated value.",
        "Offer needs an expected close date.",
    ]
    assert {"company", "value", "currency", "expected_close_date"} <= set(response.context["form"].fields)
    assert not response.context["form"].is_bound  # offered without errors on what is not typed yet


def test_the_filled_in_form_completes_the_move_running_the_gate_once(rep_client, rep, gate_calls):
    deal = DealFactory(owner=rep)
    company = CompanyFactory(owner=rep)
    response = move(
        rep_client,
        deal,
        stages_of("Standard")["Offer"],
        filled_in="1",
        company=company.pk,
        value="900",
        currency="SEK",
        expected_close_date="2027-03-31",
    )
    assert response.status_code == 302
    assert len(gate_calls) == 1
    deal.refresh_from_db()
    assert (deal.stage.name, deal.company, deal.value, deal.currency) == ("Offer", company, 900, "SEK")


def test_a_filled_in_form_still_lacking_runs_the_gate_once_and_marks_what_is_empty(
    rep_client, rep, gate_calls
):
    deal = DealFactory(owner=rep)
    response = move(rep_client, deal, stages_of("Standard")["Offer"], filled_in="1", value="900", company="")
    assert response.status_code == 422
    assert len(gate_calls) == 1
    errors = response.context["form"].errors
    assert errors["company"] == ["This field is required."]
    assert errors["expected_close_date"] == ["This field is required."]
    deal.refresh_from_db()
    assert (deal.stage.name, deal.value, deal.version) == ("Prospect", None, 1)


def test_one_move_locks_the_deal_and_checks_its_version_once(rep_client, rep, django_assert_num_queries):
    deal = ready_for_offer(rep)
    offer = stages_of("Standard")["Offer"]
    rep_client.get(reverse("opportunities:deal_detail", args=[deal.pk]))  # warm the lookup cache
    with django_assert_num_queries(MOVE_QUERIES) as captured:
        response = move(rep_client, deal, offer)
    assert response.status_code == 302
    locks = [query["sql"] for query in captured.captured_queries if "FOR UPDATE" in query["sql"]]
    assert len(locks) == 1


# The generations (the session and the user are kept by the process, crm.lookup_cache); the deal
# and its edit check; the stage chosen; in the service the deal as stored, its ticks, the stages
# and checklists the gate reads (once); then record_update: the one locked read with its version
# check, the foreign-key checks of full_clean, the update, its history row and audit row; the
# "move stage" audit row; two savepoints and their releases; the active automation rules that a
# saved deal may trigger (opportunities.services.on_deal_saved; read once, then kept).
MOVE_QUERIES = 22


def test_a_stale_move_is_refused_before_the_gate_runs(rep_client, rep, gate_calls):
    deal = ready_for_offer(rep)
    Deal.objects.filter(pk=deal.pk).update(version=2)  # someone saved it meanwhile
    response = move(rep_client, deal, stages_of("Standard")["Offer"])
    assert response.status_code == 409
    assert gate_calls == []
    deal.refresh_from_db()
    assert deal.stage.name == "Prospect"


def test_a_name_outside_the_pipelines_fixed_list_is_refused_by_the_move(rep_client, rep):
    Pipeline.objects.filter(name="Standard").update(deal_names="Annual licence\nService contract")
    deal = DealFactory(owner=rep, name="Annual licence")
    company = CompanyFactory(owner=rep)
    response = move(
        rep_client,
        deal,
        stages_of("Standard")["Offer"],
        filled_in="1",
        name="Something else",
        company=company.pk,
        value="900",
        currency="EUR",
        expected_close_date="2027-03-31",
    )
    assert response.status_code == 422
    assert "Choose one of the deal names of the pipeline Standard." in response.content.decode()
    deal.refresh_from_db()
    assert (deal.name, deal.stage.name) == ("Annual licence", "Prospect")
