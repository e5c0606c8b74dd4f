"""Logging an activity touches the people it is about or who attend it (activities' hook)."""

import datetime

from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity, ActivityType, MeetingCategory
from tests.factories import PersonFactory

LONG_AGO = datetime.timedelta(days=900)


def _stale(**kwargs):
    return PersonFactory(last_touched_at=timezone.now() - LONG_AGO, **kwargs)


def _recent(person) -> bool:
    person.refresh_from_db()
    return person.last_touched_at > timezone.now() - datetime.timedelta(minutes=1)


def test_logging_a_call_on_a_person_touches_them_and_no_one_else(rep):
    person, bystander = _stale(owner=rep), _stale(owner=rep)
    activity_services.activity_create(
        actor=rep,
        values={"subject": "Called", "person": person, "activity_type": ActivityType.objects.first()},
    )
    assert _recent(person)
    assert not _recent(bystander)


def test_an_attendee_of_a_meeting_is_touched(rep):
    attendee = _stale(owner=rep)
    activity_services.activity_create(
        actor=rep,
        values={
            "kind": Activity.Kind.MEETING,
            "meeting_category": MeetingCategory.objects.get(name="Meeting"),
            "subject": "Review",
            "due_at": timezone.now() + datetime.timedelta(days=2),
            "duration_minutes": 30,
        },
        attendee_people=[attendee],
    )
    assert _recent(attendee)


def test_completing_touches_but_cancelling_does_not(rep):
    person = _stale(owner=rep)
    activity = activity_services.activity_create(
        actor=rep,
        values={"subject": "Call", "person": person, "activity_type": ActivityType.objects.first()},
    )
    stale = timezone.now() - LONG_AGO
    type(person).objects.filter(pk=person.pk).update(last_touched_at=stale)
    activity_services.activity_cancel(actor=rep, activity=activity, expected_version=activity.version)
    person.refresh_from_db()
    assert person.last_touched_at == stale
    other = activity_services.activity_create(
        actor=rep,
        values={"subject": "Call again", "person": person, "activity_type": ActivityType.objects.first()},
    )
    type(person).objects.filter(pk=person.pk).update(last_touched_at=stale)
    activity_services.activity_complete(actor=rep, activity=other, expected_version=other.version)
    assert _recent(person)
