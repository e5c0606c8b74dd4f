"""Lead scoring (seed 002): every scored event of a person or a lead is recorded with the points
its kind is worth at that moment, and added to the running score, whose grade follows from the
admin-set thresholds. Changing the points applies to future events only: past events keep the
points they were recorded with.

Mail opens, clicks, unsubscribes, page visits and form submissions all score through
`record_event` (many at once: `record_events_bulk`). The score and grade of a lead are derived
counters, written in SQL next to the event (no lead history row or audit row per e-mail opened).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from contacts.models import Person
from crm.bulk import copy_rows
from marketing.models import DEFAULT_POINTS, Campaign, Grade, PersonScore, ScoreEvent, ScoreKind, ScoreRule

# The grade of a score, in SQL: the label of the highest threshold at or below it.
_GRADE_OF = (
    "COALESCE((SELECT g.label FROM marketing_grade g WHERE g.min_score <= {score} "
    "ORDER BY g.min_score DESC LIMIT 1), '')"
)


def _add_to_person(person_id: int, points: int) -> None:
    """Add `points` to the person's score (a row on their first event) and regrade it."""
    _add_to_people({person_id: points})


def _add_to_people(points_by_person: dict[int, int]) -> None:
    """Add each person's points to their score (a row on their first event) and regrade them:
    one statement, in id order (two concurrent callers lock the rows in the same order)."""
    if not points_by_person:
        return
    ids = sorted(points_by_person)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO marketing_personscore AS s (person_id, score, grade, updated_at) "  # noqa: S608 - constants
            f"SELECT v.person_id, v.points, {_GRADE_OF.format(score='v.points')}, now() "
            "FROM unnest(%s::bigint[], %s::integer[]) WITH ORDINALITY AS v(person_id, points, n) "
            "ORDER BY v.n "
            "ON CONFLICT (person_id) DO UPDATE SET score = s.score + EXCLUDED.score, "
            f"grade = {_GRADE_OF.format(score='s.score + EXCLUDED.score')}, updated_at = now()",
            [ids, [points_by_person[person_id] for person_id in ids]],
        )


def _add_to_leads(points_by_lead: dict[int, int]) -> None:
    """Add each lead's points to its score and regrade it: the rows locked in id order first
    (as `_add_to_people`), then one UPDATE."""
    if not points_by_lead:
        return
    ids = sorted(points_by_lead)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM leads_lead WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])
        cursor.execute(
            "UPDATE leads_lead l SET score = l.score + v.points, "  # noqa: S608 - constants
            f"grade = {_GRADE_OF.format(score='l.score + v.points')} "
            "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, points) WHERE l.id = v.id",
            [ids, [points_by_lead[lead_id] for lead_id in ids]],
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
    if person is not None:
        _add_to_person(person.pk, points)
    with connection.cursor() as cursor:
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


@dataclass(frozen=True)
class Event:
    """One event for `record_events_bulk`: as `record_event`'s arguments, by id."""

    kind: str
    person_id: int | None = None
    lead_id: int | None = None
    points: int | None = None  # None: the rule of `kind`
    campaign_id: int | None = None
    detail: str = ""
    occurred_at: datetime | None = None  # None: now


@transaction.atomic
def record_events_bulk(events: Iterable[Event]) -> int:
    """Score many events at once, with the same result as `record_event` for each: the events'
    rows in one COPY, then one upsert of the people's scores and one UPDATE of the leads' (each
    summed per person / lead, grades recomputed). Returns how many events were recorded."""
    now = timezone.now()
    rule_points: dict[str, int] = {}
    rows: list[dict] = []
    people: dict[int, int] = defaultdict(int)
    leads: dict[int, int] = defaultdict(int)
    for event in events:
        if event.person_id is None and event.lead_id is None:
            raise ValueError("A score event needs a person or a lead.")
        points = event.points
        if points is None:
            if event.kind not in rule_points:
                rule_points[event.kind] = points_for(event.kind)
            points = rule_points[event.kind]
        rows.append(
            {
                "kind": event.kind,
                "points": points,
                "person_id": event.person_id,
                "lead_id": event.lead_id,
                "campaign_id": event.campaign_id,
                "detail": event.detail[:500],
                "occurred_at": event.occurred_at or now,
            }
        )
        if event.person_id is not None:
            people[event.person_id] += points
        if event.lead_id is not None:
            leads[event.lead_id] += points
    if not rows:
        return 0
    copy_rows(ScoreEvent, rows)
    _add_to_people(people)
    _add_to_leads(leads)
    return len(rows)


def person_score(person) -> PersonScore:
    """The person's score and grade (0 and none before their first event)."""
    return PersonScore.objects.filter(person=person).first() or PersonScore(person=person)


@transaction.atomic
def regrade_all() -> None:
    """Give every scored person and lead the grade of their score under the current thresholds
    (after an administrator changed them): one set-wise UPDATE per table, the thresholds read
    once into a CASE rather than looked up per row."""
    thresholds = list(Grade.objects.order_by("-min_score").values_list("min_score", "label"))
    whens = "".join("WHEN score >= %s THEN %s " for _ in thresholds)
    grade = f"CASE {whens}ELSE '' END" if thresholds else "''"
    params = [value for pair in thresholds for value in pair]
    with connection.cursor() as cursor:
        for table in ("marketing_personscore", "leads_lead"):
            cursor.execute(
                f"UPDATE {table} SET grade = {grade} WHERE grade IS DISTINCT FROM {grade}",  # noqa: S608
                params * 2,
            )


def merge_people(*, survivor, duplicate) -> None:
    """A person merge (contacts.services.on_merge): the duplicate's score joins the survivor's
    (its events move with the other rows that reference it)."""
    if not isinstance(survivor, Person):
        return
    taken = PersonScore.objects.filter(person=duplicate).first()
    if taken is None:
        return
    taken.delete()
    _add_to_person(survivor.pk, taken.score)
