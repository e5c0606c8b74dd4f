"""Lead scoring (seed 002): every scored event of a person or a lead is recorded with the points
its kind is worth at that moment, and added to the running score, whose grade follows from the
admin-set thresholds. Changing the points applies to future events only: past events keep the
points they were recorded with.

Mail opens, clicks, unsubscribes, page visits and form submissions all score through
`record_event`. The score and grade of a lead are derived counters, written in SQL next to the
event (no lead history row or audit row per e-mail opened).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from marketing.models import DEFAULT_POINTS, Campaign, Grade, PersonScore, ScoreEvent, ScoreKind, ScoreRule

# The grade of a score, in SQL: the label of the highest threshold at or below it.
_GRADE_OF = (
    "COALESCE((SELECT g.label FROM marketing_grade g WHERE g.min_score <= {score} "
    "ORDER BY g.min_score DESC LIMIT 1), '')"
)


def points_for(kind: str) -> int:
    """What an event of `kind` is worth now: the admin's rule, or the seed's default."""
    rule = ScoreRule.objects.filter(kind=kind).values_list("points", flat=True).first()
    return DEFAULT_POINTS[ScoreKind(kind)] if rule is None else rule


def grade_for(score: int) -> str:
    """The grade of `score` ("" when it is below every threshold)."""
    grade = Grade.objects.filter(min_score__lte=score).order_by("-min_score").first()
    return grade.label if grade else ""


@transaction.atomic
def record_event(
    *,
    kind: str,
    person=None,
    lead=None,
    campaign: Campaign | None = None,
    detail: str = "",
    points: int | None = None,
    occurred_at: datetime | None = None,
) -> ScoreEvent:
    """Score one event of `person` and/or `lead`; `points` overrides the rule of `kind` (a page
    visit's points come from its page pattern)."""
    if person is None and lead is None:
        raise ValueError("A score event needs a person or a lead.")
    if points is None:
        points = points_for(kind)
    event = ScoreEvent(
        kind=kind, points=points, person=person, lead=lead, campaign=campaign, detail=detail[:500]
    )
    if occurred_at is not None:
        event.occurred_at = occurred_at
    event.save()
    with connection.cursor() as cursor:
        if person is not None:
            cursor.execute(
                "INSERT INTO marketing_personscore AS s (person_id, score, grade, updated_at) "  # noqa: S608 - constants
                f"VALUES (%s, %s, {_GRADE_OF.format(score='%s')}, now()) "
                "ON CONFLICT (person_id) DO UPDATE SET score = s.score + EXCLUDED.score, "
                f"grade = {_GRADE_OF.format(score='s.score + EXCLUDED.score')}, updated_at = now()",
                [person.pk, points, points],
            )
        if lead is not None:
            cursor.execute(
                f"UPDATE leads_lead SET score = score + %s, grade = {_GRADE_OF.format(score='score + %s')} "  # noqa: S608 - constants
                "WHERE id = %s RETURNING score, grade",
                [points, points, lead.pk],
            )
            row = cursor.fetchone()
            if row:
                lead.score, lead.grade = row
    return event


def person_score(person) -> PersonScore:
    """The person's score and grade (0 and none before their first event)."""
    return PersonScore.objects.filter(person=person).first() or PersonScore(person=person)


@transaction.atomic
def regrade_all() -> None:
    """Give every scored person and lead the grade of their score under the current thresholds
    (after an administrator changed them)."""
    with connection.cursor() as cursor:
        for table in ("marketing_personscore", "leads_lead"):
            grade = _GRADE_OF.format(score="score")
            cursor.execute(f"UPDATE {table} SET grade = {grade} WHERE grade IS DISTINCT FROM {grade}")  # noqa: S608
