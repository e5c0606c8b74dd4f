"""Stage gates: what a deal must have before it enters a stage.

Every path that changes a deal's stage (the edit form, the board, lead conversion, import,
admin) calls `missing_for_move`, which lists every missing item at once in words a rep
understands; `opportunities.services.deal_move_stage` refuses the move when the list is not
empty.

A stage requires fields (or rules over them: a valid contact person, a prioritised vertical),
alternatives ("prioritised_vertical|description": either will do, reported as one item naming
both), a name of a given form, and checklist criteria a person ticks for the deal.

Moving backwards is allowed without checks. Moving forwards checks the target stage and every
open stage skipped on the way; a lost stage checks only itself (a deal can be lost from anywhere),
and always needs the reason it was lost. Leaving a lost or won stage (reopening, or winning a lost
deal) checks every open stage up to the target, so no path goes round a gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from opportunities.models import (
    REQUIREMENT_FIELDS,
    Deal,
    Pipeline,
    Stage,
    StageCriterion,
    requirement_alternatives,
)


@dataclass(frozen=True)
class MissingItem:
    kind: str  # "field", "either", "criterion" or "name"
    key: str  # a requirement ("volume"), alternatives ("a|b"), the criterion id or "name"
    stage: Stage
    message: str

    @property
    def requirements(self) -> list[str]:
        """The requirements (keys of REQUIREMENT_FIELDS) filling any one of which meets this item."""
        return requirement_alternatives(self.key) if self.kind in {"field", "either"} else []


class StageGateError(Exception):
    def __init__(self, missing: list[MissingItem]):
        super().__init__("; ".join(item.message for item in missing))
        self.missing = missing


RELATION_FIELDS = frozenset({"company", "primary_contact", "sector", "vertical", "business_unit"})


def _has_value(deal: Deal, field: str) -> bool:
    if field == "volume":
        return deal.volume_amount is not None and deal.volume_unit_id is not None
    if field in RELATION_FIELDS:
        return getattr(deal, f"{field}_id") is not None
    value = getattr(deal, field)
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def stages_to_enter(deal: Deal, target: Stage) -> list[Stage]:
    """The stages whose requirements a move from the deal's stage to `target` must meet."""
    if target.pipeline_id != deal.pipeline_id:
        raise ValueError("a deal moves only within its pipeline")
    if target.kind == Stage.Kind.LOST:
        return [target]
    current = deal.stage if deal.pk is not None else None
    if current is not None and current.kind != Stage.Kind.OPEN:
        # Leaving lost (or won): nothing says which open stages the deal had passed, so every open
        # stage up to the target is checked with its data now; else Lost would be a way round them.
        current = None
    if current is not None and target.position <= current.position and target.kind == Stage.Kind.OPEN:
        return []  # backwards, or staying: always allowed
    start = current.position if current is not None else -1
    stages = Stage.objects.filter(
        pipeline_id=target.pipeline_id, position__gt=start, position__lte=target.position
    )
    return [stage for stage in stages.prefetch_related("criteria") if stage.kind != Stage.Kind.LOST]


def _needs(stage: Stage, key: str) -> str:
    return _("%(stage)s needs %(what)s.") % {"stage": stage.name, "what": REQUIREMENT_FIELDS[key]}


def _contact_person_gaps(deal: Deal, stage: Stage, required: list[str]) -> list[str]:
    """Seed 000: "a primary contact person; name and contact details", "a valid contact person
    from the organisation". Each failure in its own words; the person is not named, since the
    viewer of the deal may not see them."""
    if deal.primary_contact_id is None:
        return [_("%(stage)s needs a primary contact person.") % {"stage": stage.name}]
    person = deal.primary_contact
    gaps = []
    if not person.full_name.strip():
        gaps.append(
            _("%(stage)s needs a contact person with a name: the primary contact has none.")
            % {"stage": stage.name}
        )
    if not (person.email.strip() or person.phone.strip()):
        gaps.append(
            _(
                "%(stage)s needs a contact person you can reach: the primary contact has no e-mail "
                "address or phone number."
            )
            % {"stage": stage.name}
        )
    if deal.company_id is None:
        if "company" not in required:  # else "needs a company" already says it
            gaps.append(
                _("%(stage)s needs a contact person from the deal's company, and the deal has no company.")
                % {"stage": stage.name}
            )
    elif person.company_id != deal.company_id:
        gaps.append(
            _(
                "%(stage)s needs a contact person from the deal's company: the primary contact is not "
                "one of its people."
            )
            % {"stage": stage.name}
        )
    return gaps


def requirement_gaps(deal: Deal, key: str, stage: Stage, required: list[str] | None = None) -> list[str]:
    """What `deal` lacks of the requirement `key` to enter `stage`, in words ([] when it has it)."""
    if key == "contact_person":
        return _contact_person_gaps(deal, stage, required or [])
    if key == "prioritised_vertical":
        met = deal.vertical_id is not None and deal.vertical.is_prioritised
    else:
        met = _has_value(deal, key)
    return [] if met else [_needs(stage, key)]


def _either_message(deal: Deal, stage: Stage, keys: list[str]) -> str:
    what = str(REQUIREMENT_FIELDS[keys[0]])
    for key in keys[1:]:
        what = _("%(first)s, or %(second)s") % {"first": what, "second": REQUIREMENT_FIELDS[key]}
    message = _("%(stage)s needs %(what)s.") % {"stage": stage.name, "what": what}
    if "prioritised_vertical" in keys and deal.vertical_id is not None and not deal.vertical.is_prioritised:
        message += " " + _("%(vertical)s is not a prioritised vertical.") % {"vertical": deal.vertical.name}
    return message


def missing_for_stage(deal: Deal, stage: Stage, confirmed: set[int]) -> list[MissingItem]:
    missing = []
    required = list(stage.required_fields or [])
    if stage.kind == Stage.Kind.LOST and "lost_reason" not in required:
        required.append("lost_reason")
    for entry in required:
        keys = [key for key in requirement_alternatives(entry) if key in REQUIREMENT_FIELDS]
        if len(keys) == 1:
            missing.extend(
                MissingItem("field", keys[0], stage, gap)
                for gap in requirement_gaps(deal, keys[0], stage, required)
            )
        elif keys and all(requirement_gaps(deal, key, stage, required) for key in keys):
            missing.append(MissingItem("either", "|".join(keys), stage, _either_message(deal, stage, keys)))
    if stage.name_rule and not re.search(stage.name_rule, deal.name or ""):
        missing.append(
            MissingItem(
                "name",
                "name",
                stage,
                _("%(stage)s needs a name of the form: %(rule)s")
                % {"stage": stage.name, "rule": stage.name_rule_explanation},
            )
        )
    for criterion in stage.criteria.all():
        if criterion.pk not in confirmed:
            missing.append(
                MissingItem(
                    "criterion",
                    str(criterion.pk),
                    stage,
                    _("%(stage)s: confirm that %(text)s")
                    % {"stage": stage.name, "text": criterion.text[0].lower() + criterion.text[1:]},
                )
            )
    return missing


def missing_for_move(deal: Deal, target: Stage, *, confirmed: set[int] | None = None) -> list[MissingItem]:
    """Everything `deal` (with its pending, unsaved values) lacks to enter `target`."""
    if confirmed is None:
        confirmed = set(deal.confirmations.values_list("criterion_id", flat=True)) if deal.pk else set()
    missing: list[MissingItem] = []
    for stage in stages_to_enter(deal, target):
        missing.extend(missing_for_stage(deal, stage, confirmed))
    return missing


def fixed_label_errors(pipeline: Pipeline, values: dict, *, current: Deal | None = None) -> dict[str, str]:
    """Seed 001, "Definition": a deal name or probability given (in `values`) outside the
    pipeline's fixed lists, by field. A deal keeps a value it had before the list existed
    (`current`) until it is changed; a probability left empty means the stage's default."""
    errors = {}
    names = pipeline.fixed_deal_names
    name = values.get("name")
    if names and "name" in values and name not in names and not (current and name == current.name):
        errors["name"] = _("Choose one of the deal names of the pipeline %(pipeline)s.") % {
            "pipeline": pipeline.name
        }
    weights = pipeline.fixed_probabilities
    weight = values.get("probability")
    if (
        weights
        and weight is not None
        and weight not in weights
        and not (current and weight == current.probability)
    ):
        errors["probability"] = _("Choose one of the probabilities of the pipeline %(pipeline)s.") % {
            "pipeline": pipeline.name
        }
    return errors


def criteria_of(items: list[MissingItem]) -> list[StageCriterion]:
    ids = [int(item.key) for item in items if item.kind == "criterion"]
    return list(StageCriterion.objects.filter(pk__in=ids))


# The amount a journey deal's name starts with ("200GB - …", "50 000 000 pages - …"), and the
# volume unit each word means, to compare the name with the deal's volume fields.
NAME_AMOUNT = re.compile(
    r"(?i)^\s*(?P<amount>\d[\d\s.,]*?)\s*(?P<unit>kb|mb|gb|tb|pb|pages?|reels?|box(?:es)?|files?|hours?)\b"
)
UNIT_OF_WORD = {
    "gb": "GB", "tb": "TB", "pb": "PB", "page": "pages", "pages": "pages", "reel": "reels", "reels": "reels",
    "box": "boxes", "boxes": "boxes", "file": "files", "files": "files", "hour": "hours of audio/video",
    "hours": "hours of audio/video",
}  # fmt: skip


def _amount(text: str) -> Decimal | None:
    """ "50 000 000", "1,500", "2.5", "1,5" as a number; grouping by space, comma or dot."""
    digits = re.sub(r"\s", "", text)
    if "," in digits and "." in digits:
        digits = digits.replace(",", "")
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", digits):
        digits = re.sub(r"[.,]", "", digits)
    try:
        return Decimal(digits.replace(",", "."))
    except InvalidOperation:
        return None


def name_volume(name: str) -> tuple[Decimal, str] | None:
    """The amount and unit a deal's name starts with, if it does."""
    match = NAME_AMOUNT.match(name or "")
    if match is None:
        return None
    amount = _amount(match["amount"])
    unit = UNIT_OF_WORD.get(match["unit"].lower())
    return (amount, unit) if amount is not None and unit is not None else None


def volume_warning(deal: Deal) -> str:
    """A warning when the amount in the deal's name disagrees with its volume fields ("" if not)."""
    from_name = name_volume(deal.name)
    if from_name is None or deal.volume_amount is None or deal.volume_unit_id is None:
        return ""
    amount, unit = from_name
    if amount == deal.volume_amount and unit.lower() == deal.volume_unit.name.lower():
        return ""
    return _("The name says %(name)s but the volume is %(volume)s.") % {
        "name": f"{amount.normalize():f} {unit}",
        "volume": f"{deal.volume_amount.normalize():f} {deal.volume_unit.name}",
    }
