"""Lead scoring (seed 002): the seed's points, the running score and grade of a person and of a
lead, points changed for future events only, and grades following the thresholds."""

import pytest

from marketing import scoring
from marketing.models import Grade, PersonScore, ScoreEvent, ScoreKind, ScoreRule
from tests.factories import LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "points"),
    [(ScoreKind.EMAIL_OPENED, 0), (ScoreKind.LINK_CLICKED, 5), (ScoreKind.UNSUBSCRIBED, -3)],
)
def test_the_seeds_points_are_the_defaults(kind, points):
    assert scoring.points_for(kind) == points
    assert ScoreRule.objects.get(kind=kind).points == points


def test_events_add_up_on_the_person_with_the_grade_of_the_sum():
    person = PersonFactory()
    Grade.objects.all().delete()
    Grade.objects.bulk_create([Grade(label="warm", min_score=10), Grade(label="hot", min_score=12)])
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    assert (PersonScore.objects.get(person=person).score, PersonScore.objects.get(person=person).grade) == (
        5,
        "",
    )
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    assert scoring.person_score(person).grade == "warm"
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    scoring.record_event(kind=ScoreKind.UNSUBSCRIBED, person=person)
    assert (scoring.person_score(person).score, scoring.person_score(person).grade) == (12, "hot")


def test_a_lead_carries_its_score_and_grade():
    lead = LeadFactory()
    scoring.record_event(kind=ScoreKind.FORM_SUBMITTED, lead=lead, points=60)
    lead.refresh_from_db()
    assert (lead.score, lead.grade) == (60, "A")


def test_changed_points_apply_to_future_events_only():
    person = PersonFactory()
    first = scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    ScoreRule.objects.filter(kind=ScoreKind.LINK_CLICKED).update(points=8)
    second = scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person)
    assert [e.points for e in ScoreEvent.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")] == [
        5,
        8,
    ]
    assert scoring.person_score(person).score == 13


def test_regrading_follows_new_thresholds():
    person, lead = PersonFactory(), LeadFactory()
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person, lead=lead, points=30)
    Grade.objects.filter(label="B").update(min_score=40)
    scoring.regrade_all()
    lead.refresh_from_db()
    assert scoring.person_score(person).grade == lead.grade == "C"


@pytest.mark.parametrize(
    ("points", "grade"),
    [
        (-1_000_001, ""),
        (-5, "D"),
        (0, "D"),
        (4, "D"),
        (5, "C"),
        (19, "C"),
        (20, "B"),
        (49, "B"),
        (50, "A"),
        (999, "A"),
    ],
)
def test_regrading_gives_the_highest_threshold_at_or_below_the_score(points, grade):
    person, lead = PersonFactory(), LeadFactory()
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person, lead=lead, points=points)
    PersonScore.objects.update(grade="stale")
    LeadFactory._meta.model.objects.filter(pk=lead.pk).update(grade="stale")
    scoring.regrade_all()
    lead.refresh_from_db()
    assert scoring.person_score(person).grade == lead.grade == grade


def test_without_grades_regrading_clears_them():
    person = PersonFactory()
    scoring.record_event(kind=ScoreKind.LINK_CLICKED, person=person, points=70)
    Grade.objects.all().delete()
    scoring.regrade_all()
    assert scoring.person_score(person).grade == ""


def test_a_visitor_token_names_its_visitor_and_cannot_be_altered():
    from marketing import visitors

    token = visitors.visitor_token(person_id=7, lead_id=None)
    assert visitors.visitor_from_token(token) == visitors.Visitor(person_id=7)
    assert visitors.visitor_from_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert visitors.visitor_from_token("") is None
    assert visitors.visitor_from_token("x" * 400) is None
