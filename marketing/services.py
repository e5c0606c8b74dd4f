"""Writes to marketing's core: plans, campaigns and their tasks, a record's campaign, the score
rules and grades, the mail settings, and the fading of scores over time."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities import services as activity_services
from activities.models import Activity, ActivityType
from crm import access
from crm.services import audit_record, record_create, record_update
from marketing import attribution, scoring
from marketing.models import (
    Campaign,
    CampaignTask,
    Grade,
    MarketingPlan,
    MarketingSettings,
    ScoreKind,
    ScoreRule,
)

PLAN_FIELDS = frozenset(
    {
        "name",
        "starts_on",
        "ends_on",
        "budget",
        "target_leads",
        "target_revenue",
        "description",
        "owner",
        "team",
    }
)
CAMPAIGN_FIELDS = frozenset(
    {
        "plan", "name", "kind", "status", "starts_on", "ends_on", "budget", "actual_cost", "target_leads",
        "target_revenue", "audience", "segments", "description", "owner", "team",
    }
)  # fmt: skip
SETTINGS_FIELDS = frozenset(
    {
        "default_sender",
        "default_sending_user",
        "company_name",
        "company_address",
        "company_logo",
        "score_decay_percent",
    }
)
# A sane range for the points of one event (seed 002's are 0, 5 and -3).
MIN_POINTS, MAX_POINTS = -1000, 1000
MAX_DECAY_PERCENT = 100
DECAY_PERIOD_DAYS = 30


def _only(values: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    return dict(values)


def plan_create(*, actor, values: dict[str, Any]) -> MarketingPlan:
    """A new marketing plan (validated: its period ends after it starts, money ≥ 0)."""
    return record_create(actor=actor, instance=MarketingPlan(**_only(values, PLAN_FIELDS)))


def plan_update(
    *, actor, plan: MarketingPlan, changes: dict[str, Any], expected_version: int
) -> MarketingPlan:
    return record_update(
        actor=actor, instance=plan, changes=_only(changes, PLAN_FIELDS), expected_version=expected_version
    )


def _campaign_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    values = _only(values, CAMPAIGN_FIELDS)
    many = {"segments": values.pop("segments")} if "segments" in values else {}
    return values, many


def campaign_create(*, actor, values: dict[str, Any]) -> Campaign:
    """A new campaign, optionally under a plan and reaching segments."""
    plain, many = _campaign_values(values)
    return record_create(actor=actor, instance=Campaign(**plain), many_to_many=many)


def campaign_update(*, actor, campaign: Campaign, changes: dict[str, Any], expected_version: int) -> Campaign:
    plain, many = _campaign_values(changes)
    return record_update(
        actor=actor, instance=campaign, changes={**plain, **many}, expected_version=expected_version
    )


@transaction.atomic
def campaign_task_create(
    *,
    actor,
    campaign: Campaign,
    subject: str,
    due_at: datetime.datetime | None,
    owner=None,
    activity_type: ActivityType | None = None,
) -> Activity:
    """A to-do filed under the campaign: an activity (on the responsible user's lists and
    calendar like any other) and its link to the campaign."""
    if activity_type is None:  # a to-do needs a type: "Other" (seed 002), else the first one
        types = ActivityType.objects.filter(is_active=True)
        activity_type = types.filter(name="Other").first() or types.order_by("pk").first()
    values: dict[str, Any] = {
        "subject": subject,
        "due_at": due_at,
        "kind": Activity.Kind.TODO,
        "activity_type": activity_type,
    }
    if owner is not None:
        values["owner"] = owner
    activity = activity_services.activity_create(actor=actor, values=values)
    CampaignTask.objects.create(campaign=campaign, activity=activity)
    return activity


@transaction.atomic
def record_campaign_set(*, actor, record: models.Model, campaign: Campaign, converting: bool = False) -> None:
    """Attribute `record` (a lead, person or deal the actor may change) to `campaign`: its first
    touch unless it has one, and with `converting` its converting campaign."""
    if not access.can_edit(actor, record):
        raise ValidationError(_("You may not change this record."))
    attribution.attribute(record, campaign, converting=converting)
    audit_record(
        actor=actor,
        verb="attribute",
        instance=record,
        changes={"campaign": campaign.pk, "touch": "converting" if converting else "first"},
    )


@transaction.atomic
def score_rules_update(*, actor, points: dict[str, int]) -> None:
    """Set the points of each kind of event; they apply to events from now on (past events keep
    the points they were recorded with, seed 002)."""
    for kind, value in points.items():
        ScoreKind(kind)  # ValueError for an unknown kind
        if not MIN_POINTS <= value <= MAX_POINTS:
            raise ValidationError(
                _("Points must be between %(low)d and %(high)d.") % {"low": MIN_POINTS, "high": MAX_POINTS}
            )
    changed = {}
    for kind, value in points.items():
        rule, created = ScoreRule.objects.get_or_create(kind=kind, defaults={"points": value})
        if created or rule.points != value:
            changed[kind] = value
            if not created:
                ScoreRule.objects.filter(pk=rule.pk).update(points=value)
    if changed:
        audit_record(
            actor=actor, verb="update", instance=MarketingSettings.load(), changes={"points": changed}
        )


@transaction.atomic
def grades_replace(*, actor, grades: list[tuple[str, int]]) -> None:
    """Replace the grades (label, from score) and regrade every scored person and lead."""
    labels = [label.strip() for label, _score in grades]
    scores = [score for _label, score in grades]
    if any(not label for label in labels):
        raise ValidationError(_("Every grade needs a label."))
    if len(set(labels)) != len(labels):
        raise ValidationError(_("Two grades have the same label."))
    if len(set(scores)) != len(scores):
        raise ValidationError(_("Two grades start at the same score."))
    if any(not -1_000_000 <= score <= 1_000_000 for score in scores):
        raise ValidationError(_("A grade's score must be between -1000000 and 1000000."))
    Grade.objects.all().delete()
    Grade.objects.bulk_create(
        Grade(label=label, min_score=score) for label, score in zip(labels, scores, strict=True)
    )
    scoring.regrade_all()
    audit_record(
        actor=actor,
        verb="update",
        instance=MarketingSettings.load(),
        changes={"grades": dict(zip(labels, scores, strict=True))},
    )


@transaction.atomic
def settings_update(*, actor, changes: dict[str, Any]) -> MarketingSettings:
    """Save the mail settings (sender, sending user, company profile and logo, score decay)."""
    changes = _only(changes, SETTINGS_FIELDS)
    current = MarketingSettings.load()
    stored = MarketingSettings.objects.select_for_update().get(pk=current.pk)
    for name, value in changes.items():
        setattr(stored, name, value)
    stored.full_clean()
    if stored.score_decay_percent > MAX_DECAY_PERCENT:
        raise ValidationError({"score_decay_percent": _("At most 100%.")})
    stored.save()
    audit_record(
        actor=actor,
        verb="update",
        instance=stored,
        changes={name: str(value) if name == "company_logo" else value for name, value in changes.items()},
    )
    return stored


def decay_factor(percent: int, periods: int) -> Decimal:
    """What a score is multiplied by after `periods` periods of `percent` decay each."""
    return ((Decimal(100) - Decimal(percent)) / Decimal(100)) ** periods


@transaction.atomic
def scores_decay(*, today: datetime.date | None = None) -> int:
    """Fade every score by the settings' monthly percentage, once per 30 days elapsed.

    The formula: a score s becomes trunc(s × (1 − p/100)^n), n the whole 30-day periods since the
    last decay (a missed run catches up); truncated toward zero, so scores stay integers and a
    small score reaches 0 instead of sticking at 1. The daily beat task calls this; it moves
    `scores_decayed_on` forward by compare-and-swap, so a run fired twice decays once. The first
    run only starts the clock. Returns the number of periods applied."""
    today = today or timezone.localdate()
    settings_row = MarketingSettings.load()
    last = settings_row.scores_decayed_on
    if last is None:
        MarketingSettings.objects.filter(pk=settings_row.pk, scores_decayed_on__isnull=True).update(
            scores_decayed_on=today
        )
        return 0
    periods = (today - last).days // DECAY_PERIOD_DAYS
    if periods <= 0:
        return 0
    moved_to = last + datetime.timedelta(days=periods * DECAY_PERIOD_DAYS)
    claimed = MarketingSettings.objects.filter(pk=settings_row.pk, scores_decayed_on=last).update(
        scores_decayed_on=moved_to
    )
    if not claimed or settings_row.score_decay_percent == 0:
        return 0
    factor = decay_factor(settings_row.score_decay_percent, periods)
    with connection.cursor() as cursor:
        for table in ("marketing_personscore", "leads_lead"):
            cursor.execute(
                f"UPDATE {table} SET score = trunc(score * %s)::integer WHERE score <> 0",  # noqa: S608 - constants
                [factor],
            )
    scoring.regrade_all()
    return periods
