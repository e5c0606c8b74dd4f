"""Writes to deals. Every stage change goes through `deal_move_stage` and its gate check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.exceptions import StaleRecordError
from crm.services import audit_record, record_create, record_delete, record_update
from opportunities import pipeline as gates
from opportunities.models import CriterionConfirmation, Deal, DealContact, Pipeline, Stage, StageCriterion

DEAL_FIELDS = frozenset(
    {
        "name", "company", "primary_contact", "colleagues", "value", "currency", "probability",
        "expected_close_date", "volume_amount", "volume_unit", "sector", "vertical", "business_unit",
        "use_case", "business_case", "status_report", "lost_reason", "description", "owner", "team",
        "custom_fields",
    }
)  # fmt: skip


def _only(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - DEAL_FIELDS
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    return dict(values)


def _check_same_pipeline(pipeline: Pipeline, stage: Stage) -> None:
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError(
            {"stage": _("Choose a stage of the deal's own pipeline (%(name)s).") % {"name": pipeline.name}}
        )


def _check_criteria_of(pipeline: Pipeline, criteria) -> None:
    stage_ids = {criterion.stage_id for criterion in criteria}
    if stage_ids and Stage.objects.filter(pk__in=stage_ids).exclude(pipeline=pipeline).exists():
        raise ValidationError(
            {"criteria": _("Tick only criteria of the pipeline %(name)s.") % {"name": pipeline.name}}
        )


def _confirm(*, actor, deal: Deal, criteria) -> None:
    for criterion in criteria:
        CriterionConfirmation.objects.get_or_create(
            deal=deal,
            criterion=criterion,
            defaults={"confirmed_by": actor if getattr(actor, "is_authenticated", False) else None},
        )


def _closed_on(deal: Deal, stage: Stage):
    if stage.kind == Stage.Kind.OPEN:
        return None
    return deal.closed_on or timezone.localdate()


@transaction.atomic
def deal_create(
    *,
    actor,
    pipeline: Pipeline,
    values: dict[str, Any],
    stage: Stage | None = None,
    confirmed_criteria: list[StageCriterion] | None = None,
) -> Deal:
    """Create a deal in `stage` (default: the pipeline's first stage), meeting every gate up to it;
    `confirmed_criteria` are the checklist ticks the creator gives for those stages."""
    values = _only(values)
    colleagues = values.pop("colleagues", [])
    stage = stage or pipeline.stages.order_by("position").first()
    _check_same_pipeline(pipeline, stage)
    _check_fixed_labels(pipeline, values)
    deal = Deal(pipeline=pipeline, stage=stage, **values)
    confirmed = list(confirmed_criteria or [])
    _check_criteria_of(pipeline, confirmed)
    missing = gates.missing_for_move(deal, stage, confirmed={criterion.pk for criterion in confirmed})
    if missing:
        raise gates.StageGateError(missing)
    deal.closed_on = _closed_on(deal, stage)
    deal = record_create(actor=actor, instance=deal, many_to_many={"colleagues": colleagues})
    _confirm(actor=actor, deal=deal, criteria=confirmed)
    _order_if_won(actor=actor, deal=deal)
    _deal_saved(actor=actor, deal=deal, old_stage=None, old_value=None)
    return deal


@transaction.atomic
def deal_record_closed(
    *, actor, pipeline: Pipeline, stage: Stage, values: dict[str, Any], closed_on, sales_order: bool = False
) -> Deal:
    """Record a deal won or lost in another system (an import of past sales): straight into the
    won or lost `stage`, on `closed_on`.

    The stage gates are not checked: they guard the way through the pipeline, which this deal took
    elsewhere. The hooks of live work (on_deal_saved: automation rules, follow-up tasks) are not
    called. `sales_order`: a won deal gets its sales order as a live win does; off by default,
    because a past sale's order lives in the previous system, and a new one would take this
    year's number and a generated confirmation for an order never placed here."""
    values = _only(values)
    colleagues = values.pop("colleagues", [])
    _check_same_pipeline(pipeline, stage)
    if stage.kind == Stage.Kind.OPEN:
        raise ValidationError({"stage": _("Choose a won or lost stage for a closed deal.")})
    if closed_on is None:
        raise ValidationError({"closed_on": _("A closed deal needs the date it was won or lost.")})
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("The date a deal was won or lost cannot be in the future.")})
    _check_fixed_labels(pipeline, values)
    deal = Deal(pipeline=pipeline, stage=stage, closed_on=closed_on, **values)
    deal = record_create(actor=actor, instance=deal, many_to_many={"colleagues": colleagues})
    if sales_order:
        _order_if_won(actor=actor, deal=deal)
    return deal


@transaction.atomic
def deal_update(*, actor, deal: Deal, changes: dict[str, Any], expected_version: int) -> Deal:
    """Change a deal's fields (not its stage). What the current stage requires and the deal has must
    stay; a requirement it lacked already (e.g. one added to the stage later) does not block the edit."""
    changes = _only(changes)
    current = _current(deal, expected_version)
    _check_fixed_labels(current.pipeline, changes, current=current)

    def gaps() -> list[gates.MissingItem]:
        items = gates.missing_for_stage(current, current.stage, confirmed=_confirmed_ids(current))
        return [item for item in items if item.kind != "criterion"]

    lacked_before = {(item.key, item.message) for item in gaps()}
    old_stage, old_value = current.stage, current.value
    for name, value in changes.items():
        if name != "colleagues":
            setattr(current, name, value)
    missing = [item for item in gaps() if (item.key, item.message) not in lacked_before]
    if missing:
        raise gates.StageGateError(missing)
    updated = record_update(actor=actor, instance=deal, changes=changes, expected_version=expected_version)
    _deal_saved(actor=actor, deal=updated, old_stage=old_stage, old_value=old_value)
    return updated


def _confirmed_ids(deal: Deal) -> set[int]:
    return set(deal.confirmations.values_list("criterion_id", flat=True))


def _current(deal: Deal, expected_version: int) -> Deal:
    """The deal as stored, to check the gates against, when it is still at `expected_version`.

    Not locked: record_update locks the row and checks the version once, when it writes, so a
    change saved between this read and that write is refused as stale, and the gates' verdict
    holds for exactly the version written over."""
    current = Deal.objects.select_related("pipeline", "stage").get(pk=deal.pk)
    if current.version != expected_version:
        raise StaleRecordError(current=current)
    return current


def _check_fixed_labels(pipeline: Pipeline, values: dict[str, Any], *, current: Deal | None = None) -> None:
    errors = gates.fixed_label_errors(pipeline, values, current=current)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def deal_move_stage(
    *,
    actor,
    deal: Deal,
    stage: Stage,
    expected_version: int,
    changes: dict[str, Any] | None = None,
    confirmed_criteria: list[StageCriterion] | None = None,
) -> Deal:
    """Move `deal` to `stage`, first applying `changes` and ticks given with the move (e.g. in the
    board's dialog). Raises StageGateError listing everything still missing; then nothing changes."""
    changes = _only(changes or {})
    current = _current(deal, expected_version)
    _check_same_pipeline(current.pipeline, stage)
    _check_fixed_labels(current.pipeline, changes, current=current)
    old_value = current.value
    for name, value in changes.items():
        if name != "colleagues":
            setattr(current, name, value)
    confirmed = _confirmed_ids(current) | {criterion.pk for criterion in confirmed_criteria or []}
    missing = gates.missing_for_move(current, stage, confirmed=confirmed)
    if missing:
        raise gates.StageGateError(missing)
    from_stage = current.stage
    moved = record_update(
        actor=actor,
        instance=deal,
        changes={**changes, "stage": stage, "closed_on": _closed_on(current, stage)},
        expected_version=expected_version,
    )
    _confirm(actor=actor, deal=moved, criteria=confirmed_criteria or [])
    audit_record(
        actor=actor, verb="move stage", instance=moved, changes={"from": from_stage.name, "to": stage.name}
    )
    _order_if_won(actor=actor, deal=moved)
    _deal_saved(actor=actor, deal=moved, old_stage=from_stage, old_value=old_value)
    return moved


@transaction.atomic
def deal_change_pipeline(
    *,
    actor,
    deal: Deal,
    stage: Stage,
    expected_version: int,
    confirmed_criteria: list[StageCriterion] | None = None,
) -> Deal:
    """Register the deal under another pipeline (seed 001: "a different project"), in `stage` of
    it. It enters as a new deal would: every open stage of that pipeline up to `stage` is checked
    with the deal's data and the ticks given now; the old pipeline's ticks do not carry over."""
    if stage.pipeline_id == deal.pipeline_id:
        raise ValidationError(_("Choose a stage of another pipeline; use the stage buttons within this one."))
    if not stage.pipeline.is_active:
        raise ValidationError(_("That pipeline is no longer in use."))
    current = _current(deal, expected_version)
    confirmed = list(confirmed_criteria or [])
    _check_criteria_of(stage.pipeline, confirmed)
    entering = Deal(
        **{field.attname: getattr(current, field.attname) for field in Deal._meta.concrete_fields}
    )
    entering.pk, entering.pipeline, entering.stage = None, stage.pipeline, stage
    missing = gates.missing_for_move(entering, stage, confirmed={criterion.pk for criterion in confirmed})
    if missing:
        raise gates.StageGateError(missing)
    from_stage = current.stage
    moved = record_update(
        actor=actor,
        instance=deal,
        changes={"pipeline": stage.pipeline, "stage": stage, "closed_on": _closed_on(current, stage)},
        expected_version=expected_version,
    )
    CriterionConfirmation.objects.filter(deal=moved).delete()
    _confirm(actor=actor, deal=moved, criteria=confirmed)
    audit_record(
        actor=actor,
        verb="change pipeline",
        instance=moved,
        changes={
            "from": f"{from_stage.pipeline.name}: {from_stage.name}",
            "to": f"{stage.pipeline.name}: {stage.name}",
        },
    )
    _order_if_won(actor=actor, deal=moved)
    _deal_saved(actor=actor, deal=moved, old_stage=from_stage, old_value=current.value)
    return moved


# What happens, in the same transaction, when a deal reaches a won stage (the sales order):
# registered by opportunities.sales from the app's ready(), since sales builds on this module.
_won_deal_handlers: list[Callable[..., object]] = []


def on_deal_won(handler: Callable[..., object]) -> Callable[..., object]:
    """Call ``handler(actor=, deal=)`` whenever a service moves a deal to a won stage."""
    if handler not in _won_deal_handlers:
        _won_deal_handlers.append(handler)
    return handler


def _order_if_won(*, actor, deal: Deal) -> None:
    if deal.stage.kind == Stage.Kind.WON:
        for handler in _won_deal_handlers:
            handler(actor=actor, deal=deal)


# What else reacts to a deal's writes (automation rules in activities, which this app must not
# import): called inside the write's transaction, so what a handler queues commits with the deal.
_saved_deal_handlers: list[Callable[..., object]] = []


def on_deal_saved(handler: Callable[..., object]) -> Callable[..., object]:
    """Call ``handler(actor=, deal=, old_stage=, old_value=)`` after every service write of a deal
    (``old_stage`` None: the deal was created)."""
    if handler not in _saved_deal_handlers:
        _saved_deal_handlers.append(handler)
    return handler


def _deal_saved(*, actor, deal: Deal, old_stage: Stage | None, old_value) -> None:
    for handler in _saved_deal_handlers:
        handler(actor=actor, deal=deal, old_stage=old_stage, old_value=old_value)


def deal_delete(*, actor, deal: Deal) -> None:
    record_delete(actor=actor, instance=deal)


@transaction.atomic
def deal_contact_add(*, actor, deal: Deal, person, role=None) -> DealContact:
    """Involve a person the actor can see in the deal, with their role in the buying decision."""
    from contacts.models import Person

    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose a person you can see.")})
    deal_contact, created = DealContact.objects.update_or_create(
        deal=deal, person=person, defaults={"role": role}
    )
    audit_record(
        actor=actor,
        verb="add contact" if created else "change contact role",
        instance=deal,
        changes={"person": person.pk, "role": role.pk if role else None},
    )
    return deal_contact


@transaction.atomic
def deal_contact_remove(*, actor, deal_contact: DealContact) -> None:
    audit_record(
        actor=actor,
        verb="remove contact",
        instance=deal_contact.deal,
        changes={"person": deal_contact.person_id},
    )
    deal_contact.delete()
