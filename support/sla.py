"""SLA clocks (issue 15 item 2): which policy a ticket runs under, and its due times.

A policy counts either every minute or only its business hours (working days between a start
and an end time in its time zone, holidays excepted). A ticket takes its policy when it is made:
the policy of its company's active contract or warranty (the one ending last), else the default
policy. Its first-response and resolution targets come from the policy's target for the ticket's
priority. "Waiting on customer" stops the resolution clock: the minutes it waited (policy
minutes) are added to the resolution target when the ticket is picked up again.

The due times are stored on the ticket, so that queue views sort by them and the breach scan
reads an index; `refresh_due_times` recomputes them after a change of priority, policy or pause.
"""

from __future__ import annotations

import datetime
import itertools
import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import Team
from support.models import PRIORITY_ORDER, Contract, Priority, SlaPolicy, SlaTarget, Ticket

MAX_DAYS = 20 * 366  # no target reaches further: the longest is 10 years of minutes


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class Clock:
    """A policy's working time: add minutes to a moment, count minutes between two moments."""

    def __init__(self, policy: SlaPolicy | None, holidays: set[datetime.date] | None = None):
        self.policy = policy
        self.business = bool(policy and policy.uses_business_hours and policy.day_starts and policy.day_ends)
        if self.business:
            self.zone = _zone(policy.time_zone)
            self.days = {day for day in policy.working_days or [] if isinstance(day, int) and 1 <= day <= 7}
            self.holidays = (
                holidays if holidays is not None else set(policy.holidays.values_list("date", flat=True))
            )

    def _window(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
        """The business hours of `day` (aware datetimes), or None on a day off."""
        if day.isoweekday() not in self.days or day in self.holidays:
            return None
        start = datetime.datetime.combine(day, self.policy.day_starts, tzinfo=self.zone)
        end = datetime.datetime.combine(day, self.policy.day_ends, tzinfo=self.zone)
        return start, end

    def add(self, start: datetime.datetime, minutes: int) -> datetime.datetime:
        """The moment `minutes` of working time after `start`."""
        if not self.business:
            return start + datetime.timedelta(minutes=minutes)
        remaining = datetime.timedelta(minutes=minutes)
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            window = self._window(day)
            if window is not None:
                opens, closes = window
                begin = max(opens, local)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += datetime.timedelta(days=1)
        return start + datetime.timedelta(minutes=minutes)  # no working days at all: plain time

    def minutes_between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        """Working minutes from `start` to `end` (0 when `end` is not after `start`)."""
        if end <= start:
            return 0
        if not self.business:
            return int((end - start).total_seconds() // 60)
        total = datetime.timedelta()
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        day = local_start.date()
        while day <= local_end.date():
            window = self._window(day)
            if window is not None:
                begin, finish = max(window[0], local_start), min(window[1], local_end)
                if finish > begin:
                    total += finish - begin
            day += datetime.timedelta(days=1)
        return int(total.total_seconds() // 60)


def policy_for(company_id: int | None, *, on: datetime.date | None = None) -> SlaPolicy | None:
    """The policy of the company's active contract or warranty (the one ending last), else the
    default policy (None when there is none)."""
    on = on or timezone.localdate()
    if company_id is not None:
        contract = (
            Contract.objects.filter(company_id=company_id, starts_on__lte=on, ends_on__gte=on)
            .select_related("sla_policy")
            .order_by("-ends_on", "-pk")
            .first()
        )
        if contract is not None:
            return contract.sla_policy
    return SlaPolicy.objects.filter(is_default=True).first()


def target_for(policy: SlaPolicy | None, priority: str) -> SlaTarget | None:
    if policy is None:
        return None
    return SlaTarget.objects.filter(policy=policy, priority=priority).first()


def refresh_due_times(ticket: Ticket, *, clock: Clock | None = None) -> None:
    """Set the ticket's due times from its policy, priority, creation and pauses (not saved)."""
    target = target_for(ticket.sla_policy, ticket.priority)
    if target is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    clock = clock or Clock(ticket.sla_policy)
    ticket.first_response_due_at = clock.add(ticket.created_at, target.first_response_minutes)
    ticket.resolution_due_at = clock.add(ticket.created_at, target.resolution_minutes + ticket.paused_minutes)


def start(ticket: Ticket) -> None:
    """A new ticket takes its policy and due times (not saved)."""
    ticket.sla_policy = policy_for(ticket.company_id, on=timezone.localdate(ticket.created_at))
    refresh_due_times(ticket)


def on_status_change(ticket: Ticket, old_status: str, *, at: datetime.datetime) -> None:
    """Pause the resolution clock while waiting on the customer; resume it after (not saved)."""
    new_status = ticket.status
    if new_status == Ticket.Status.WAITING and old_status != Ticket.Status.WAITING:
        ticket.paused_at = at
    elif old_status == Ticket.Status.WAITING and new_status != Ticket.Status.WAITING and ticket.paused_at:
        ticket.paused_minutes += Clock(ticket.sla_policy).minutes_between(ticket.paused_at, at)
        ticket.paused_at = None
        refresh_due_times(ticket)
    if new_status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        ticket.resolved_at = ticket.resolved_at or at
        if new_status == Ticket.Status.CLOSED:
            ticket.closed_at = ticket.closed_at or at
    elif old_status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        ticket.resolved_at = ticket.closed_at = None  # reopened: the clock runs again


# The open tickets whose clock runs (the breach scan's scope).
RUNNING = Q(status__in=[Ticket.Status.NEW, Ticket.Status.OPEN])


# -- Breaches and escalation (issue 15 item 2) ----------------------------------------------------
#
# The scan (support.tasks.breaches_escalate, every minute) finds open tickets whose first-response
# or resolution due time has passed and that are not escalated yet, through the partial indexes
# ticket_first_response_watch / ticket_resolution_watch. It marks them with one set-wise
# UPDATE … RETURNING per batch: the rows are locked with SKIP LOCKED and the UPDATE checks the
# "not escalated" condition again, so two scans running at once escalate each breach exactly once
# (each returns only the rows it changed). A ticket waiting on the customer is not in the scan
# (its clock is paused); it is checked again once the customer has answered.
#
# Escalation bumps the priority one step (PRIORITY_ORDER, never above urgent) and e-mails the
# managers of the ticket's team and of the assignee's teams (one mail per ticket and breach kind,
# deduplicated by key). The bump leaves the due times as they are: recomputing them from the
# higher priority's shorter targets would pull the resolution due time back, often into the past,
# and so make the bump itself a second breach. The clock the customer was promised stays.

BREACH_BATCH = 5000

BREACH_KINDS = {
    # kind: (due field, breached field, extra condition)
    "first_response": ("first_response_due_at", "first_response_breached_at", "first_responded_at IS NULL"),
    "resolution": ("resolution_due_at", "resolution_breached_at", "TRUE"),
}


def _bump_sql() -> str:
    steps = " ".join(
        f"WHEN '{lower}' THEN '{higher}'" for lower, higher in itertools.pairwise(PRIORITY_ORDER)
    )
    return f"CASE priority {steps} ELSE priority END"


def _mark_breaches(kind: str, now: datetime.datetime, limit: int) -> list[tuple]:
    """Mark up to `limit` breached tickets of `kind` as escalated; (id, owner, team, subject,
    old priority, new priority) of exactly the rows this call changed."""
    due, breached, extra = BREACH_KINDS[kind]
    table = Ticket._meta.db_table
    # The inner WHERE repeats the partial index's condition so that PostgreSQL reads the index.
    sql = f"""
        WITH due AS (
            SELECT id, priority AS old_priority FROM {table}
            WHERE status IN ('new', 'open') AND {breached} IS NULL AND {extra} AND {due} <= %s
            ORDER BY {due}
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {table} AS ticket
        SET {breached} = %s, priority = {_bump_sql()}, version = ticket.version + 1, updated_at = %s
        FROM due
        WHERE ticket.id = due.id AND ticket.{breached} IS NULL AND ticket.status IN ('new', 'open')
        RETURNING ticket.id, ticket.owner_id, ticket.team_id, ticket.subject, due.old_priority,
                  ticket.priority
    """  # noqa: S608 — table and column names are ours, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, limit, now, now])
        return cursor.fetchall()


def _managers_by_ticket(rows: list[tuple]) -> dict[int, set[str]]:
    """ticket id → e-mail addresses of the managers of its team and of its assignee's teams
    (two queries for the whole batch)."""
    owner_ids = {row[1] for row in rows if row[1]}
    team_ids = {row[2] for row in rows if row[2]}
    member_teams: dict[int, set[int]] = {}
    for user_id, team_id in Team.members.through.objects.filter(user_id__in=owner_ids).values_list(
        "user_id", "team_id"
    ):
        member_teams.setdefault(user_id, set()).add(team_id)
        team_ids.add(team_id)
    team_managers: dict[int, set[str]] = {}
    for team_id, email in (
        Team.managers.through.objects.filter(team_id__in=team_ids, user__is_active=True)
        .exclude(user__email="")
        .values_list("team_id", "user__email")
    ):
        team_managers.setdefault(team_id, set()).add(email)
    result = {}
    for ticket_id, owner_id, team_id, *_rest in rows:
        teams = {team_id} if team_id else set()
        teams |= member_teams.get(owner_id, set())
        result[ticket_id] = set().union(*(team_managers.get(team, set()) for team in teams))
    return result


def _escalation_mails(kind: str, rows: list[tuple]) -> int:
    """One mail per ticket to its managers (dedupe key per ticket and kind), inserted for the
    whole batch at once and handed to the outbox on commit. A key already there (a mail queued by
    an earlier, interrupted attempt) falls back to email_queue one by one, which returns it."""
    from django.template.loader import get_template

    from crm import outbox
    from crm.email import email_queue
    from crm.models import OutboundEmail

    managers = _managers_by_ticket(rows)
    subject_template = get_template("support/sla/emails/breach_subject.txt")
    body_template = get_template("support/sla/emails/breach_body.txt")
    mails = []
    for ticket_id, _owner, _team, subject, old_priority, new_priority in rows:
        recipients = sorted(managers.get(ticket_id, ()))
        if not recipients:
            continue
        context = {
            "kind": kind,
            "number": f"#{ticket_id}",
            "subject": subject,
            "old_priority": Priority(old_priority).label,
            "new_priority": Priority(new_priority).label,
            "url": _ticket_url(ticket_id),
        }
        mails.append(
            {
                "recipients": recipients,
                "subject": subject_template.render(context).strip()[:255],
                "body_text": body_template.render(context),
                "dedupe_key": f"support-breach:{kind}:{ticket_id}",
            }
        )
    if not mails:
        return 0
    try:
        with transaction.atomic():
            created = OutboundEmail.objects.bulk_create([OutboundEmail(**mail) for mail in mails])
        outbox.publish_on_commit(OutboundEmail, [email.pk for email in created])
    except IntegrityError:
        for mail in mails:
            email_queue(**mail)
    return len(mails)


def _ticket_url(ticket_id: int) -> str:
    """The ticket's page (empty while the tickets' pages are not installed)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return settings.CRM_PUBLIC_URL + reverse("support:ticket_detail", args=[ticket_id])
    except NoReverseMatch:
        return ""


def _audit(kind: str, rows: list[tuple], now: datetime.datetime) -> None:
    from django.contrib.contenttypes.models import ContentType

    from crm.models import AuditEvent

    content_type = ContentType.objects.get_for_model(Ticket)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=None,
            verb=f"sla_breach_{kind}",
            content_type=content_type,
            object_id=str(ticket_id),
            object_repr=f"#{ticket_id} {subject}"[:200],
            changes={"priority": [old, new]},
            created_at=now,
        )
        for ticket_id, _owner, _team, subject, old, new in rows
    )


def breaches_escalate(*, now: datetime.datetime | None = None, batch: int = BREACH_BATCH) -> dict[str, int]:
    """Escalate every breach not escalated yet, once: mark, bump the priority, audit and mail the
    managers, batch by batch (each batch its own transaction). {kind: tickets escalated}."""
    now = now or timezone.now()
    counts = {}
    for kind in BREACH_KINDS:
        counts[kind] = 0
        while True:
            with transaction.atomic():
                rows = _mark_breaches(kind, now, batch)
                if rows:
                    _audit(kind, rows, now)
                    _escalation_mails(kind, rows)
            counts[kind] += len(rows)
            if len(rows) < batch:
                break
    return counts
