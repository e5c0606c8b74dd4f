"""Customer service's reports (issue 15 item 9), behind crm.view_reports like every report:
SLA compliance per month, queue or agent (the share of tickets first-responded and resolved
within their due times), the median first-response and resolution times (percentile_cont in
SQL), and the backlog — open tickets at the end of each of the last 90 days — as an SVG chart
drawn on the server.

Whose tickets count: Administrators and Managers overseeing every team, every ticket they see;
anyone else granted reports, their own (access.reported_users), as the other reports do.
Times are wall-clock (created → first reply / resolved), the SLA's business hours aside.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Extract, TruncDate, TruncMonth
from django.utils import timezone

from crm import access
from support.models import Ticket

GROUPINGS = {"month": "month", "queue": "queue__name", "agent": "owner"}
BACKLOG_DAYS = 90
CHART_WIDTH, CHART_HEIGHT = 600, 200


class Median(Aggregate):
    """percentile_cont(0.5): the median, computed by PostgreSQL."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def reported_tickets(user) -> QuerySet:
    """The tickets a report counts for `user`."""
    tickets = Ticket.objects.visible_to(user).filter(merged_into__isnull=True)
    if access.oversees_every_team(user):
        return tickets
    return tickets.filter(owner__in=access.reported_users(user))


@dataclass
class ComplianceRow:
    label: str
    tickets: int
    responded_in_time: int
    responded_measured: int
    resolved_in_time: int
    resolved_measured: int
    first_response_median: float | None  # minutes
    resolution_median: float | None

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def response_share(self) -> float | None:
        return self.share(self.responded_in_time, self.responded_measured)

    @property
    def resolution_share(self) -> float | None:
        return self.share(self.resolved_in_time, self.resolved_measured)


def _minutes(later: str) -> Extract:
    return Extract(F(later) - F("created_at"), "epoch") / 60


def compliance(user, *, by: str, since: datetime.date, until: datetime.date) -> list[ComplianceRow]:
    """One row per month, queue or agent of the tickets created from `since` to `until`: how many
    were measured against a due time (answered or resolved, or past it), how many within it, and
    the medians. One grouped query."""
    now = timezone.now()
    tickets = reported_tickets(user).filter(created_at__date__gte=since, created_at__date__lte=until)
    if by == "month":
        tickets = tickets.annotate(month=TruncMonth("created_at"))
    key = GROUPINGS[by]
    responded_measured = Q(first_response_due_at__isnull=False) & (
        Q(first_responded_at__isnull=False) | Q(first_response_due_at__lt=now)
    )
    resolved_measured = Q(resolution_due_at__isnull=False) & (
        Q(resolved_at__isnull=False) | Q(resolution_due_at__lt=now)
    )
    rows = (
        tickets.values(key)
        .annotate(
            tickets=Count("pk"),
            responded_measured=Count("pk", filter=responded_measured),
            responded_in_time=Count(
                "pk", filter=responded_measured & Q(first_responded_at__lte=F("first_response_due_at"))
            ),
            resolved_measured=Count("pk", filter=resolved_measured),
            resolved_in_time=Count(
                "pk", filter=resolved_measured & Q(resolved_at__lte=F("resolution_due_at"))
            ),
            first_response_median=Median(
                _minutes("first_responded_at"), filter=Q(first_responded_at__isnull=False)
            ),
            resolution_median=Median(_minutes("resolved_at"), filter=Q(resolved_at__isnull=False)),
        )
        .order_by(key)
    )
    rows = list(rows)
    labels = _labels(by, [row[key] for row in rows])
    return [
        ComplianceRow(
            label=labels.get(row[key], ""),
            tickets=row["tickets"],
            responded_in_time=row["responded_in_time"],
            responded_measured=row["responded_measured"],
            resolved_in_time=row["resolved_in_time"],
            resolved_measured=row["resolved_measured"],
            first_response_median=row["first_response_median"],
            resolution_median=row["resolution_median"],
        )
        for row in rows
    ]


def _labels(by: str, keys: list) -> dict:
    from django.utils.translation import gettext as _

    from crm.models import User

    if by == "month":
        return {key: timezone.localtime(key).strftime("%Y-%m") if key else "" for key in keys}
    if by == "queue":
        return {key: key or _("No queue") for key in keys}
    users = {user.pk: user for user in User.objects.filter(pk__in=[key for key in keys if key])}
    return {key: (str(users[key]) if key in users else _("Unassigned")) for key in keys}


@dataclass
class BacklogChart:
    days: list[tuple[datetime.date, int]]
    points: str  # the polyline's "x,y x,y …"
    width: int
    height: int
    top: int  # the largest count (the chart's scale)
    last: int


def backlog(user, *, today: datetime.date | None = None, days: int = BACKLOG_DAYS) -> BacklogChart:
    """Open tickets at the end of each of the last `days` days: those open at the start, plus the
    ones opened, minus the ones resolved, day by day (three aggregate queries, whatever the number
    of tickets or days)."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    tickets = reported_tickets(user)
    open_at_start = (
        tickets.filter(created_at__lt=start)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .count()
    )
    opened = dict(
        tickets.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    resolved = dict(
        tickets.filter(resolved_at__gte=start)
        .annotate(day=TruncDate("resolved_at"))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    series, level = [], open_at_start
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        level += opened.get(day, 0) - resolved.get(day, 0)
        series.append((day, level))
    top = max([count for _day, count in series] + [1])
    step = CHART_WIDTH / max(days - 1, 1)
    points = " ".join(
        f"{round(index * step, 1)},{round(CHART_HEIGHT - count / top * CHART_HEIGHT, 1)}"
        for index, (_day, count) in enumerate(series)
    )
    return BacklogChart(series, points, CHART_WIDTH, CHART_HEIGHT, top, series[-1][1] if series else 0)
