"""Every write of an activity: forms, the timeline, automation rules, imports, admin and the API
call these, so that each rule, audit row and side effect (calendar invites, rule triggers)
happens whichever way an activity is written.

Side effects plug in: `on_activity_saved(handler)` registers `handler(activity, change)` called
after commit-safe writes ("created", "updated", "completed", "cancelled"); the calendar invites
and automation rules use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import LINKS, Activity
from crm import access
from crm.exceptions import StaleRecordError
from crm.services import audit_record

# Fields that move the event in a calendar: a change of any bumps the ICS sequence.
CALENDAR_FIELDS = {"due_at", "all_day", "duration_minutes", "location", "subject", "status"}
_handlers: list[Callable[[Activity, str], object]] = []


def on_activity_saved(handler: Callable[[Activity, str], object]) -> Callable[[Activity, str], object]:
    """Call `handler(activity, change)` inside the write's transaction after each activity write."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def _saved(activity: Activity, change: str) -> None:
    for handler in _handlers:
        handler(activity, change)


def _check_links(actor, values: dict[str, Any]) -> None:
    """Only records the actor may see can be linked or invited; the company follows the deal or
    person when none is given."""
    errors = {}
    for link in LINKS:
        record = values.get(link)
        if (
            record is not None
            and not access.visible_to(type(record).objects.filter(pk=record.pk), actor).exists()
        ):
            errors[link] = _("You cannot see that record.")
    if errors:
        raise ValidationError(errors)
    if values.get("company") is None:
        for link in ("deal", "person", "lead"):
            record = values.get(link)
            company_id = getattr(record, "company_id", None) if record is not None else None
            if company_id is not None:
                values["company_id"] = company_id
                values.pop("company", None)
                break


def _check_attendees(actor, people, users) -> None:
    from contacts.models import Person

    people_ids = {person.pk for person in people}
    if people_ids and Person.objects.visible_to(actor).filter(pk__in=people_ids).count() != len(people_ids):
        raise ValidationError({"attendee_people": _("You cannot invite a contact you cannot see.")})
    user_ids = {user.pk for user in users}
    if user_ids and access.visible_users(actor).filter(pk__in=user_ids).count() != len(user_ids):
        raise ValidationError({"attendee_users": _("You cannot invite that colleague.")})


def _validate(activity: Activity) -> None:
    activity.full_clean(exclude=["attendee_people", "attendee_users"])


@transaction.atomic
def activity_create(
    *,
    actor,
    values: dict[str, Any],
    attendee_people=(),
    attendee_users=(),
    audit: bool = True,
    hooks: bool = True,
) -> Activity:
    """A new to-do or meeting; the actor is responsible unless `values` names someone else.

    `hooks` False: the on_activity_saved handlers (calendar invites, touching the people) do not
    run, for activities recorded after the fact (the import's history from a previous system)."""
    values = dict(values)
    _check_links(actor, values)
    _check_attendees(actor, attendee_people, attendee_users)
    values.setdefault("owner", actor if getattr(actor, "is_authenticated", False) else None)
    activity = Activity(**values)
    if activity.status == Activity.Status.DONE and activity.done_at is None:
        activity.done_at = timezone.now()
    _validate(activity)
    activity.save()
    activity.attendee_people.set(attendee_people)
    activity.attendee_users.set(attendee_users)
    if audit:
        audit_record(actor=actor, verb="created", instance=activity)
    if hooks:
        _saved(activity, "created")
    return activity


def _current(activity: Activity, expected_version: int) -> Activity:
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    if current.version != expected_version:
        raise StaleRecordError(current)
    return current


@transaction.atomic
def activity_update(
    *,
    actor,
    activity: Activity,
    changes: dict[str, Any],
    expected_version: int,
    attendee_people=None,
    attendee_users=None,
) -> Activity:
    if not access.can_edit(actor, activity):
        raise PermissionDenied
    current = _current(activity, expected_version)
    changes = dict(changes)
    _check_links(actor, {**{link: getattr(current, link) for link in LINKS}, **changes})
    if attendee_people is not None or attendee_users is not None:
        _check_attendees(actor, attendee_people or (), attendee_users or ())
    changed = {name: value for name, value in changes.items() if getattr(current, name) != value}
    for name, value in changed.items():
        setattr(current, name, value)
    if CALENDAR_FIELDS & set(changed):
        current.sequence += 1
    current.version += 1
    _validate(current)
    current.save()
    if attendee_people is not None:
        current.attendee_people.set(attendee_people)
    if attendee_users is not None:
        current.attendee_users.set(attendee_users)
    audit_record(actor=actor, verb="updated", instance=current, changes=changed)
    _saved(current, "updated")
    return current


@transaction.atomic
def activity_complete(*, actor, activity: Activity, expected_version: int, outcome: str = "") -> Activity:
    """Mark a to-do done: it moves to history (seed 003), with what came of it."""
    if not access.can_edit(actor, activity):
        raise PermissionDenied
    current = _current(activity, expected_version)
    if current.status != Activity.Status.OPEN:
        raise ValidationError(_("This activity is no longer open."))
    current.status = Activity.Status.DONE
    current.done_at = timezone.now()
    current.outcome = (outcome or "").strip()
    current.version += 1
    current.sequence += 1
    current.save(update_fields=["status", "done_at", "outcome", "version", "sequence", "updated_at"])
    audit_record(actor=actor, verb="completed", instance=current, changes={"outcome": current.outcome})
    _saved(current, "completed")
    return current


@transaction.atomic
def activity_cancel(*, actor, activity: Activity, expected_version: int) -> Activity:
    """Call off an open to-do or meeting; it stays on the record, struck through, and calendars
    that hold it are told (METHOD:CANCEL)."""
    if not access.can_edit(actor, activity):
        raise PermissionDenied
    current = _current(activity, expected_version)
    if current.status != Activity.Status.OPEN:
        raise ValidationError(_("This activity is no longer open."))
    current.status = Activity.Status.CANCELLED
    current.version += 1
    current.sequence += 1
    current.save(update_fields=["status", "version", "sequence", "updated_at"])
    audit_record(actor=actor, verb="cancelled", instance=current)
    _saved(current, "cancelled")
    return current


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> None:
    if not access.can_edit(actor, activity):
        raise PermissionDenied
    audit_record(actor=actor, verb="deleted", instance=activity)
    activity.delete()


def next_todo_values(done: Activity) -> dict[str, Any]:
    """What the next to-do after `done` starts with (seed 003: always add the next to-do): the
    same records, type and responsible user, due a week later at the same time."""
    due = (done.due_at or timezone.now()) + timezone.timedelta(days=7)
    if due < timezone.now():
        due = timezone.now().replace(minute=0, second=0, microsecond=0) + timezone.timedelta(days=7)
    return {
        "kind": Activity.Kind.TODO,
        "activity_type": done.activity_type,
        "subject": "",
        "due_at": due,
        "owner": done.owner,
        **{link: getattr(done, link) for link in LINKS},
    }
