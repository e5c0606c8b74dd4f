"""Calendar invites (activities.calendar.queue_invites, an on_activity_saved hook): queued in the
write's transaction through the outbox, one mail per recipient and sequence, METHOD:REQUEST when
an activity with "send to my calendar" is created or moved, METHOD:CANCEL when it is called off."""

import datetime

import icalendar
import pytest
import vobject
from django.db import transaction

from activities import services
from activities.models import Activity, MeetingCategory
from crm.models import OutboundEmail
from tests.factories import PersonFactory, UserFactory

DUE = datetime.datetime(2027, 3, 4, 9, 0, tzinfo=datetime.UTC)


def meeting_values(**values):
    return {
        "kind": Activity.Kind.MEETING,
        "meeting_category": MeetingCategory.objects.get(name="Meeting"),
        "subject": "Contract review",
        "due_at": DUE,
        "duration_minutes": 60,
        "location": "Room 1",
        "send_invites": True,
        **values,
    }


def invites():
    return list(OutboundEmail.objects.filter(dedupe_key__startswith="activity-invite:").order_by("pk"))


def attached_event(email):
    (attachment,) = email.attachments
    assert attachment["mimetype"] == "text/calendar"
    parsed = icalendar.Calendar.from_ical(attachment["content"])
    (event,) = [item for item in parsed.walk() if item.name == "VEVENT"]
    vobject.readOne(attachment["content"])  # a second parser reads it too
    return parsed, event


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague")


@pytest.fixture
def contact(rep):
    return PersonFactory(owner=rep, email="buyer@customer.example")


def create(rep, colleague, contact, **values):
    return services.activity_create(
        actor=rep, values=meeting_values(**values), attendee_people=[contact], attendee_users=[colleague]
    )


def test_creating_queues_one_request_per_recipient(rep, colleague, contact):
    activity = create(rep, colleague, contact)
    queued = invites()
    assert sorted(address for email in queued for address in email.recipients) == sorted(
        [rep.email, colleague.email, contact.email]
    )
    parsed, event = attached_event(queued[0])
    assert parsed["METHOD"] == "REQUEST"
    assert str(event["UID"]) == str(activity.uid)
    assert int(event["SEQUENCE"]) == activity.sequence == 0
    assert event["DTSTART"].dt == DUE and event["DTEND"].dt == DUE + datetime.timedelta(hours=1)
    assert str(event["ORGANIZER"]) == f"mailto:{rep.email}"
    assert sorted(str(a) for a in event["ATTENDEE"]) == sorted(
        f"mailto:{a}" for a in (rep.email, colleague.email, contact.email)
    )
    assert queued[0].subject == "Invitation: Contract review"


def test_nothing_is_queued_without_the_checkbox(rep, colleague, contact):
    create(rep, colleague, contact, send_invites=False)
    assert invites() == []


def test_an_update_that_moves_nothing_queues_nothing_and_a_move_queues_once(rep, colleague, contact):
    activity = create(rep, colleague, contact)
    activity = services.activity_update(
        actor=rep, activity=activity, expected_version=activity.version, changes={"notes": "Agenda"}
    )
    assert len(invites()) == 3
    activity = services.activity_update(
        actor=rep, activity=activity, expected_version=activity.version,
        changes={"due_at": DUE + datetime.timedelta(days=1)},
    )  # fmt: skip
    queued = invites()
    assert len(queued) == 6
    _parsed, event = attached_event(queued[-1])
    assert int(event["SEQUENCE"]) == activity.sequence == 1
    assert event["DTSTART"].dt == DUE + datetime.timedelta(days=1)
    # The same write handled again (a retry, a second hook call) queues no second copy.
    from activities.calendar import queue_invites

    queue_invites(activity, "updated")
    assert len(invites()) == 6


def test_cancelling_queues_method_cancel(rep, colleague, contact):
    activity = create(rep, colleague, contact)
    activity = services.activity_cancel(actor=rep, activity=activity, expected_version=activity.version)
    cancels = invites()[3:]
    assert len(cancels) == 3
    parsed, event = attached_event(cancels[0])
    assert parsed["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert int(event["SEQUENCE"]) == activity.sequence == 1
    assert cancels[0].subject == "Cancelled: Contract review"


def test_completing_queues_nothing(rep, colleague, contact):
    activity = create(rep, colleague, contact)
    services.activity_complete(actor=rep, activity=activity, expected_version=activity.version)
    assert len(invites()) == 3


def test_an_attendee_added_later_gets_the_current_version(rep, colleague, contact):
    activity = create(rep, colleague, contact)
    newcomer = PersonFactory(owner=rep, email="cfo@customer.example")
    services.activity_update(
        actor=rep, activity=activity, expected_version=activity.version, changes={},
        attendee_people=[contact, newcomer], attendee_users=[colleague],
    )  # fmt: skip
    queued = invites()
    assert len(queued) == 4 and queued[-1].recipients == [newcomer.email]


def test_invites_go_with_the_write_when_it_rolls_back(rep, colleague, contact):
    """Outbox: the invites are rows of the write's transaction — a write that fails leaves none."""
    with pytest.raises(RuntimeError), transaction.atomic():
        create(rep, colleague, contact)
        raise RuntimeError("the write fails after the hook ran")
    assert invites() == []
    assert not Activity.objects.exists()


def test_a_to_do_with_the_checkbox_is_invited_as_an_event(rep, colleague, contact):
    from activities.models import ActivityType

    services.activity_create(
        actor=rep,
        values={"kind": Activity.Kind.TODO, "activity_type": ActivityType.objects.get(name="Phone call"),
                "subject": "Call the buyer", "due_at": DUE, "send_invites": True},
    )  # fmt: skip
    (email,) = invites()
    _parsed, event = attached_event(email)
    assert event.name == "VEVENT" and str(event["SUMMARY"]) == "Call the buyer"
