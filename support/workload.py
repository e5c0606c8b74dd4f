"""The agents' workload board (issue 15 item 5): per agent of the teams the viewer sees, their
open tickets, how many are overdue, how many fall due today, and the next due time, in one
grouped query over the page's agents (not one per agent).

Counts are of the tickets the viewer may see (crm.access), so a Restricted agent sees their own
figures only; the agents listed are the active members and managers of access.visible_teams."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from crm import access
from crm.models import User
from support.models import Ticket


@dataclass
class AgentLoad:
    agent: User
    open: int = 0
    overdue: int = 0
    due_today: int = 0
    next_due: datetime.datetime | None = None


def workload_agents(user):
    """The agents the board lists for `user`: members and managers of the teams they see."""
    teams = access.visible_teams(user)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(teams__in=teams) | Q(managed_teams__in=teams) | Q(pk=user.pk))
        .distinct()
        .order_by("first_name", "last_name", "username", "pk")
    )


def workload(user, agents: list[User], *, now: datetime.datetime | None = None) -> list[AgentLoad]:
    """The loads of `agents` (a page of workload_agents), counted over what `user` sees."""
    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    running = Q(status__in=[Ticket.Status.NEW, Ticket.Status.OPEN])
    rows = (
        Ticket.objects.visible_to(user)
        .filter(owner__in=[agent.pk for agent in agents], status__in=Ticket.OPEN_STATUSES)
        .values("owner")
        .annotate(
            open=Count("pk"),
            overdue=Count(
                "pk",
                filter=running
                & (
                    Q(resolution_due_at__lt=now)
                    | Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
                ),
            ),
            due_today=Count(
                "pk", filter=running & Q(resolution_due_at__gte=now, resolution_due_at__lte=end_of_day)
            ),
            next_due=Min("resolution_due_at", filter=running & Q(resolution_due_at__gte=now)),
        )
    )
    by_agent = {row["owner"]: row for row in rows}
    loads = []
    for agent in agents:
        row = by_agent.get(agent.pk, {})
        loads.append(
            AgentLoad(
                agent=agent,
                open=row.get("open", 0),
                overdue=row.get("overdue", 0),
                due_today=row.get("due_today", 0),
                next_due=row.get("next_due"),
            )
        )
    return loads


def unassigned_open(user) -> int:
    """Open tickets nobody works yet (of those `user` sees)."""
    return Ticket.objects.visible_to(user).filter(owner__isnull=True, status__in=Ticket.OPEN_STATUSES).count()
