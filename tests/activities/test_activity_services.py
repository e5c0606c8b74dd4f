"""Activities (activities.models, activities.services): who sees them, what a write checks, and the
MiniCRM flow of seed 003 — a to-do done moves to history and the next one starts pre-filled."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activities import services
from activities.models import Activity, ActivityType, MeetingCategory
from crm.exceptions import StaleRecordError
from crm.models import AuditEvent
from tests.factories import ActivityFactory, CompanyFactory, DealFactory, LeadFactory, PersonFactory


def test_the_seed_types_and_meeting_categories_ship(db):
    assert list(ActivityType.objects.values_list("name", flat=True)) == ["Phone call", "E-mail", "Other"]
    assert list(MeetingCategory.objects.values_list("name", "is_first_meeting")) == [
        ("First meeting", True),
        ("Meeting", False),
        ("Outlook", False),
    ]


@pytest.mark.parametrize("link", ["company", "person", "deal", "lead"])
def test_an_activity_is_visible_with_the_record_it_is_about(personas, reps_see_only_own, link):
    factories = {"company": CompanyFactory, "person": PersonFactory, "deal": DealFactory, "lead": LeadFactory}
    own = factories[link](owner=personas.rep)
    others = factories[link](owner=personas.rep_other_team)
    # Whoever is responsible for the activity, it goes with the record.
    mine = ActivityFactory(**{link: own}, owner=personas.rep_other_team)
    theirs = ActivityFactory(**{link: others}, owner=personas.rep)
    visible = set(Activity.objects.visible_to(personas.rep))
    assert mine in visible and theirs not in visible
    assert set(Activity.objects.visible_to(personas.admin)) >= {mine, theirs}


def test_the_most_specific_record_decides(personas, reps_see_only_own):
    company = CompanyFactory(owner=personas.rep)
    hidden_deal = DealFactory(owner=personas.rep_other_team, company=company)
    on_the_deal = ActivityFactory(deal=hidden_deal, company=company, owner=personas.rep)
    assert on_the_deal not in Activity.objects.visible_to(personas.rep)


def test_an_activity_about_nothing_follows_its_owner(personas, reps_see_only_own):
    mine = ActivityFactory(owner=personas.rep)
    theirs = ActivityFactory(owner=personas.rep_other_team)
    assert set(Activity.objects.visible_to(personas.rep)) == {mine}
    assert set(Activity.objects.visible_to(personas.restricted)) == set()
    assert theirs in Activity.objects.visible_to(personas.rep_other_team)


def todo_values(**values):
    return {
        "kind": Activity.Kind.TODO,
        "activity_type": ActivityType.objects.get(name="Phone call"),
        "subject": "Call about the archive",
        "due_at": datetime.datetime(2027, 1, 11, 9, 30, tzinfo=datetime.UTC),
        **values,
    }


def test_who_sees_every_record_gets_activities_unfiltered(personas, reps_see_only_own):
    """An Administrator's scope is no WHERE at all (a five-way OR that always holds cost the ORM
    and the planner time on every list page); a rep narrowed to their own still gets the rule."""
    assert Activity.objects.visible_to(personas.admin).query.where.children == []
    assert Activity.objects.visible_to(personas.rep).query.where.children != []


def test_a_to_do_on_a_deal_takes_the_deals_company_and_leaves_an_audit_row(personas):
    deal = DealFactory(owner=personas.rep, company=CompanyFactory(owner=personas.rep))
    activity = services.activity_create(actor=personas.rep, values=todo_values(deal=deal))
    assert activity.company_id == deal.company_id and activity.owner == personas.rep
    assert AuditEvent.objects.filter(verb="created", object_id=str(activity.pk)).exists()


def test_linking_a_record_the_actor_cannot_see_is_refused(personas, reps_see_only_own):
    hidden = CompanyFactory(owner=personas.rep_other_team)
    with pytest.raises(ValidationError) as refused:
        services.activity_create(actor=personas.rep, values=todo_values(company=hidden))
    assert "company" in refused.value.message_dict
    assert not Activity.objects.exists()


def test_inviting_a_contact_the_actor_cannot_see_is_refused(personas, reps_see_only_own):
    hidden = PersonFactory(owner=personas.rep_other_team)
    with pytest.raises(ValidationError, match="cannot invite a contact"):
        services.activity_create(actor=personas.rep, values=todo_values(), attendee_people=[hidden])
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"activity_type": None}, "activity_type"),
        ({"kind": Activity.Kind.MEETING, "activity_type": None}, "meeting_category"),
        ({"kind": Activity.Kind.MEETING, "due_at": None, "meeting_category_id": 1}, "due_at"),
        ({"duration_minutes": 60 * 24 * 15}, "duration_minutes"),
        ({"subject": ""}, "subject"),
    ],
)
def test_an_incomplete_activity_is_refused_field_by_field(personas, values, field):
    with pytest.raises(ValidationError) as refused:
        services.activity_create(actor=personas.rep, values=todo_values(**values))
    assert field in refused.value.message_dict
    assert not Activity.objects.exists()


def test_completing_moves_a_to_do_to_history_and_offers_the_next(personas):
    company = CompanyFactory(owner=personas.rep)
    todo = ActivityFactory(company=company, owner=personas.rep)
    done = services.activity_complete(
        actor=personas.rep, activity=todo, expected_version=todo.version, outcome="  They want a quote. "
    )
    assert (done.status, done.outcome) == (Activity.Status.DONE, "They want a quote.")
    assert done.done_at is not None
    assert list(Activity.objects.history()) == [done] and not Activity.objects.open().exists()
    following = services.next_todo_values(done)
    assert following["company"] == company and following["owner"] == personas.rep
    assert following["activity_type"] == todo.activity_type
    assert following["due_at"] > done.due_at
    with pytest.raises(ValidationError, match="no longer open"):
        services.activity_complete(actor=personas.rep, activity=done, expected_version=done.version)


def test_a_stale_edit_is_refused(personas):
    todo = ActivityFactory(owner=personas.rep)
    services.activity_update(
        actor=personas.rep, activity=todo, changes={"subject": "New"}, expected_version=1
    )
    with pytest.raises(StaleRecordError):
        services.activity_update(
            actor=personas.rep, activity=todo, changes={"subject": "Old"}, expected_version=1
        )


def test_moving_an_activity_in_time_bumps_its_calendar_sequence_and_a_note_does_not(personas):
    todo = ActivityFactory(owner=personas.rep)
    moved = services.activity_update(
        actor=personas.rep,
        activity=todo,
        changes={"due_at": todo.due_at + datetime.timedelta(hours=1)},
        expected_version=todo.version,
    )
    assert moved.sequence == 1
    noted = services.activity_update(
        actor=personas.rep,
        activity=moved,
        changes={"notes": "Bring the contract"},
        expected_version=moved.version,
    )
    assert noted.sequence == 1


def test_only_who_may_edit_completes_or_cancels(personas, reps_see_only_own):
    theirs = ActivityFactory(owner=personas.rep_other_team)
    with pytest.raises(PermissionDenied):
        services.activity_complete(
            actor=personas.restricted, activity=theirs, expected_version=theirs.version
        )
    with pytest.raises(PermissionDenied):
        services.activity_cancel(actor=personas.restricted, activity=theirs, expected_version=theirs.version)
    theirs.refresh_from_db()
    assert theirs.status == Activity.Status.OPEN


def test_the_saved_hook_sees_every_write(personas):
    seen = []
    handler = services.on_activity_saved(lambda activity, change: seen.append(change))
    try:
        todo = services.activity_create(actor=personas.rep, values=todo_values())
        todo = services.activity_update(
            actor=personas.rep, activity=todo, changes={"subject": "x"}, expected_version=todo.version
        )
        services.activity_complete(actor=personas.rep, activity=todo, expected_version=todo.version)
    finally:
        services._handlers.remove(handler)
    assert seen == ["created", "updated", "completed"]
