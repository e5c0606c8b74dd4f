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
import zoneinfo
from functools import lru_cache

from django.db.models import Q
from django.utils import timezone

from support.models import Contract, SlaPolicy, SlaTarget, Ticket

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
