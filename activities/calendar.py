"""Calendars: the private per-user ICS feed, the .ics of one activity, and e-mailed invites.

Seed 001: reps follow up in Google Calendar or Outlook; seed 002: meetings synced with calendars.

- Every activity is described once, by `_properties(row)`: a list of (name, parameters, value)
  with typed values. Two writers turn that into text: `feed_ics` writes the lines itself (a feed
  of ~2,000 events must be served in well under 200 ms, and building an `icalendar` object per
  event costs about a second), while single documents — a download, an invite with its
  ORGANIZER/ATTENDEE and METHOD — are built with the `icalendar` package. The tests parse both
  with `icalendar` and with `vobject` and check that they describe the same events.
- UIDs are the activity's stable `uid`; SEQUENCE is its `sequence` (bumped by the services when
  the time, place or status changes), so clients update an event instead of adding another.
- Times are written in UTC; all-day activities as DATEs in the project's time zone.
- Meetings are VEVENTs (CANCELLED when called off); to-dos are VTODOs (NEEDS-ACTION, COMPLETED
  with the time it was done, or CANCELLED). Invites always carry a VEVENT: that is what mail
  clients put into a calendar.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import zlib
from collections.abc import Iterable
from typing import Any

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.template.loader import render_to_string
from django.utils import timezone

from activities.models import Activity
from crm import shared_redis
from crm.email import email_queue

PRODID = "-//CRM//Activities//EN"
# The feed's window: what a calendar needs, not a user's whole history.
FEED_DAYS_BACK = 90
FEED_DAYS_AHEAD = 366
FEED_MAX_EVENTS = 5000
FEED_CACHE_SECONDS = 60 * 60 * 24  # an unchanged feed is kept a day after it was last written
NOTES_LIMIT = 2000  # characters of an activity's notes put into DESCRIPTION

# The columns one feed query reads: no model instances, one pass over the rows.
FEED_COLUMNS = (
    "uid", "sequence", "kind", "status", "subject", "notes", "location", "due_at", "all_day",
    "duration_minutes", "done_at", "updated_at",
)  # fmt: skip

Property = tuple[str, dict[str, str], Any]


# -- Tokens -----------------------------------------------------------------------------------


def is_well_formed_token(token: str) -> bool:
    """Cheap check before the database is asked: the shape crm.profile.new_calendar_token makes."""
    return 40 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


# -- What the feed holds ------------------------------------------------------------------------


def _attending(user) -> list[int]:
    return list(
        Activity.attendee_users.through.objects.filter(user_id=user.pk).values_list("activity_id", flat=True)
    )


def _feed(user, now: datetime.datetime, attending: list[int]):
    # The ids the user attends are read first: "owner or one of these ids" is two index scans,
    # "owner or in (subquery)" read the whole table.
    return (
        Activity.objects.visible_to(user)
        .filter(Q(owner_id=user.pk) | Q(pk__in=attending))
        .filter(
            due_at__gte=now - datetime.timedelta(days=FEED_DAYS_BACK),
            due_at__lt=now + datetime.timedelta(days=FEED_DAYS_AHEAD),
        )
        .order_by("due_at", "pk")
    )


def feed_rows(
    user, *, now: datetime.datetime | None = None, attending: list[int] | None = None
) -> list[dict]:
    """The activities of `user`'s feed, as dicts of FEED_COLUMNS: those they are responsible for
    or attend, that they may see, due within the feed's window."""
    attending = _attending(user) if attending is None else attending
    return list(_feed(user, now or timezone.now(), attending).values(*FEED_COLUMNS)[:FEED_MAX_EVENTS])


def feed_fingerprint(
    user, *, now: datetime.datetime | None = None, attending: list[int] | None = None
) -> str:
    """A digest of which rows the feed holds and of each row's version, computed by PostgreSQL
    over the same query: a row's `xmin` and `ctid` (the transaction that wrote its current version,
    and where that version lies) change with every write to it, whichever code made it."""
    attending = _attending(user) if attending is None else attending
    rows = (
        _feed(user, now or timezone.now(), attending)
        .annotate(row_version=RawSQL("activities_activity.xmin::text || activities_activity.ctid::text", []))
        .values("uid", "row_version")[:FEED_MAX_EVENTS]
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        digest = "md5(coalesce(string_agg(feed.uid::text || feed.row_version, '|' ORDER BY feed.uid), ''))"
        cursor.execute(f"SELECT count(*), {digest} FROM ({sql}) AS feed", params)  # noqa: S608 - Django's SQL
        count, digest = cursor.fetchone()
    return f"{count}-{digest}"


def cached_feed_ics(user, *, now: datetime.datetime | None = None) -> bytes:
    """`feed_ics` of the user's feed, kept in Redis under the digest of its rows and the calendar's
    name: a calendar polling an unchanged feed costs one query. Any change to a row (or which rows
    are in it) changes the digest; without Redis the feed is written every time."""
    now = now or timezone.now()
    attending = _attending(user)
    name = hashlib.sha256(_calendar_name(user).encode()).hexdigest()[:16]
    key = f"activities:feed:{user.pk}:{name}:{feed_fingerprint(user, now=now, attending=attending)}"
    redis_client = shared_redis.client()
    try:
        stored = redis_client.get(key)
    except redis.RedisError:
        stored = None
    if stored is not None:
        return zlib.decompress(stored)
    body = feed_ics(user, feed_rows(user, now=now, attending=attending))
    with contextlib.suppress(redis.RedisError):  # served all the same, written again next time
        redis_client.set(key, zlib.compress(body, 1), ex=FEED_CACHE_SECONDS)
    return body


def activity_row(activity: Activity) -> dict:
    return {column: getattr(activity, column) for column in FEED_COLUMNS}


# -- One description of an activity ---------------------------------------------------------------


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo is datetime.UTC else moment.astimezone(datetime.UTC)


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _span(row: dict) -> tuple[Any, Any]:
    """Start and end: datetimes in UTC, or DATEs (end exclusive) for all-day activities."""
    start = row["due_at"]
    if row["all_day"]:
        days = max(1, -(-row["duration_minutes"] // (24 * 60)))
        first = _local_date(start)
        return first, first + datetime.timedelta(days=days)
    return _utc(start), _utc(start + datetime.timedelta(minutes=row["duration_minutes"]))


def component_name(row: dict, *, invite: bool = False) -> str:
    return "VTODO" if row["kind"] == Activity.Kind.TODO and not invite else "VEVENT"


def _properties(row: dict, *, invite: bool = False, stamp: datetime.datetime | None = None) -> list[Property]:
    """The properties of one activity's component, values typed (str, int, date, datetime)."""
    name = component_name(row, invite=invite)
    status = row["status"]
    props: list[Property] = [
        ("UID", {}, str(row["uid"])),
        ("SEQUENCE", {}, row["sequence"]),
        # A feed's DTSTAMP is when the event last changed, so an unchanged event reads the same.
        ("DTSTAMP", {}, _utc(stamp or row["updated_at"])),
        ("LAST-MODIFIED", {}, _utc(row["updated_at"])),
        ("SUMMARY", {}, row["subject"]),
    ]
    # A to-do may have no due date yet (the feed lists dated ones only; a download may not).
    start, end = _span(row) if row["due_at"] is not None else (None, None)
    if name == "VEVENT":
        props += [("DTSTART", {}, start), ("DTEND", {}, end)]
        props.append(("STATUS", {}, "CANCELLED" if status == Activity.Status.CANCELLED else "CONFIRMED"))
    else:
        if start is not None:
            props.append(("DUE", {}, start))
        if status == Activity.Status.DONE:
            props.append(("STATUS", {}, "COMPLETED"))
            props.append(("PERCENT-COMPLETE", {}, 100))
            if row["done_at"] is not None:
                props.append(("COMPLETED", {}, _utc(row["done_at"])))
        elif status == Activity.Status.CANCELLED:
            props.append(("STATUS", {}, "CANCELLED"))
        else:
            props.append(("STATUS", {}, "NEEDS-ACTION"))
    if row["location"]:
        props.append(("LOCATION", {}, row["location"]))
    if row["notes"]:
        props.append(("DESCRIPTION", {}, row["notes"][:NOTES_LIMIT]))
    return props


# -- The fast writer (the feed) -------------------------------------------------------------------


def _text(value: str) -> str:
    # Chained str.replace runs in C: several times faster than str.translate with a table.
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if ";" in value:
        value = value.replace(";", "\\;")
    if "," in value:
        value = value.replace(",", "\\,")
    if "\n" in value or "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return value


def _value(value: Any) -> tuple[str, str]:
    """(extra parameters, text) of a typed value."""
    if isinstance(value, str):
        return "", _text(value)
    if isinstance(value, datetime.datetime):
        # Always UTC here (see _utc); formatted by hand, strftime is the slower way.
        return "", (
            f"{value.year:04d}{value.month:02d}{value.day:02d}T"
            f"{value.hour:02d}{value.minute:02d}{value.second:02d}Z"
        )
    if isinstance(value, datetime.date):
        return ";VALUE=DATE", f"{value.year:04d}{value.month:02d}{value.day:02d}"
    return "", str(value)


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets go on in lines that start with a space,
    never splitting a UTF-8 character."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)


def _lines(name: str, props: list[Property]) -> list[str]:
    lines = [f"BEGIN:{name}"]
    for prop, params, value in props:
        extra, text = _value(value)
        param_text = "".join(f";{key}={param}" for key, param in params.items())
        lines.append(_fold(f"{prop}{param_text}{extra}:{text}"))
    lines.append(f"END:{name}")
    return lines


def _calendar_name(user) -> str:
    return f"CRM · {user}"


def feed_ics(user, rows: Iterable[dict]) -> bytes:
    """The whole feed of `user` as ICS bytes, written in one pass over `rows`."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _fold(f"X-WR-CALNAME:{_text(_calendar_name(user))}"),
        # Clients that honour it poll every hour rather than once a day.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for row in rows:
        lines.extend(_lines(component_name(row), _properties(row)))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


# -- Single documents, with the icalendar package -------------------------------------------------


def _component(row: dict, *, invite: bool = False, stamp: datetime.datetime | None = None):
    from icalendar import Event, Todo

    component = Event() if component_name(row, invite=invite) == "VEVENT" else Todo()
    for prop, params, value in _properties(row, invite=invite, stamp=stamp):
        component.add(prop, value, parameters=params or None)
    return component


def _calendar(method: str):
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def activity_ics(activity: Activity) -> bytes:
    """One activity as an .ics file to download (METHOD:PUBLISH)."""
    calendar = _calendar("PUBLISH")
    calendar.add_component(_component(activity_row(activity)))
    return calendar.to_ical()


def invite_ics(activity: Activity, *, method: str, organizer: str, attendees: list[tuple[str, str]]) -> bytes:
    """An iTIP invite (RFC 5546): METHOD:REQUEST to put the meeting into a calendar, or
    METHOD:CANCEL to take it out; `attendees` are (name, e-mail) pairs."""
    from icalendar import vCalAddress

    calendar = _calendar(method)
    event = _component(activity_row(activity), invite=True, stamp=timezone.now())
    event.pop("STATUS", None)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for name, address in attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["CN"] = name or address
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def ics_filename(activity: Activity) -> str:
    return f"activity-{activity.uid}.ics"


# -- Invites ------------------------------------------------------------------------------------


def invite_recipients(activity: Activity) -> list[tuple[str, str]]:
    """(name, e-mail) of the responsible user and every attendee with an address, once each.

    The attendees were checked against the writer's visibility when they were set
    (activities.services._check_attendees)."""
    found: dict[str, tuple[str, str]] = {}
    candidates = []
    if activity.owner is not None:
        candidates.append((str(activity.owner), activity.owner.email))
    candidates += [(str(user), user.email) for user in activity.attendee_users.filter(is_active=True)]
    candidates += [(str(person), person.email) for person in activity.attendee_people.exclude(email="")]
    for name, address in candidates:
        address = (address or "").strip()
        if address and address.lower() not in found:
            found[address.lower()] = (name, address)
    return list(found.values())


def queue_invites(activity: Activity, change: str) -> list:
    """An on_activity_saved hook: queue the invites of a write, in its transaction.

    A REQUEST when an activity with "send to my calendar" is created or its time, place or
    subject changes (its sequence grows); a CANCEL when it is called off. One mail per
    recipient and sequence (the outbox's dedupe key), so a write that moves nothing in the
    calendar, a retried task or a second save queue nothing new, and an attendee added later
    still gets the current version."""
    if not activity.send_invites or activity.due_at is None or change == "completed":
        return []
    method = "CANCEL" if activity.status == Activity.Status.CANCELLED else "REQUEST"
    if method == "REQUEST" and activity.status != Activity.Status.OPEN:
        return []
    recipients = invite_recipients(activity)
    if not recipients:
        return []
    organizer = activity.owner.email if activity.owner is not None and activity.owner.email else None
    organizer = organizer or settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    ics = invite_ics(activity, method=method, organizer=organizer, attendees=recipients).decode()
    context = {"activity": activity, "cancelled": method == "CANCEL"}
    subject = render_to_string("activities/calendar_invite_subject.txt", context).strip()
    body = render_to_string("activities/calendar_invite_body.txt", context)
    queued = []
    with transaction.atomic():
        for _name, address in recipients:
            queued.append(
                email_queue(
                    recipients=[address],
                    subject=subject,
                    body_text=body,
                    attachments=[
                        {
                            "filename": "invite.ics" if method == "REQUEST" else "cancel.ics",
                            "content": ics,
                            "mimetype": "text/calendar",
                        }
                    ],
                    dedupe_key=f"activity-invite:{activity.uid}:{activity.sequence}:{address.lower()}"[:200],
                )
            )
    return queued
