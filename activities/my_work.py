"""My work: a user's overdue, today's and upcoming to-dos and meetings, as a list and as a
week or month calendar (issue 11, item 4). Managers switch to a colleague or a team they report
on (`crm.access.reported_users` / `reported_teams`).

Every query starts from `Activity.objects.visible_to(viewer)`: a colleague's to-do on a record
the viewer may not see is not shown. Both pages cost a fixed number of queries however many
activities there are: each list section is one capped query plus one aggregate for every
section's count; the calendar is one query ranked per day in SQL (at most `CALENDAR_DAY_CAP`
a day) plus one count per day.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Count, F, Q, QuerySet, Window, prefetch_related_objects
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from activities.models import LINKS, Activity
from crm import access
from crm.models import Team, User

SECTION_CAP = 50
CALENDAR_DAY_CAP = {"week": 30, "month": 4}
FIRST_YEAR, LAST_YEAR = 1900, 2999
WEEK_PATTERN = re.compile(r"(\d{4})-W(\d{1,2})", re.ASCII)
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
# A row's small relations are joined; its links (company, person, deal, lead) are read by id
# afterwards: joining all seven made PostgreSQL spend ~40 ms planning each query (the join orders
# of eight tables) to execute it in 1 ms.
ROW_JOINS = ("activity_type", "meeting_category", "owner")


class BadParameter(ValueError):
    """A query parameter the page cannot use; its message is shown with a 400."""


# Whose work -------------------------------------------------------------------------------------


@dataclass
class Selection:
    """Whose activities a page shows: one user, or the people of one team."""

    user: User | None = None
    team: Team | None = None
    choices_users: list = field(default_factory=list)
    choices_teams: list = field(default_factory=list)

    @property
    def is_own(self) -> bool:
        return self.team is None and self.user is not None and self.user.is_own

    def query_string(self) -> str:
        if self.team is not None:
            return f"team={self.team.pk}"
        if self.user is not None and not self.user.is_own:
            return f"owner={self.user.pk}"
        return ""

    def scope(self) -> Q:
        if self.team is not None:
            people = User.objects.filter(Q(teams=self.team) | Q(managed_teams=self.team)).values("pk")
            return Q(owner__in=people) | Q(team=self.team)
        return Q(owner=self.user)


def _id_parameter(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise BadParameter(_("“%(value)s” is not a valid %(name)s.") % {"value": value, "name": name})
    return int(value)


def selection_for(viewer, params) -> Selection:
    """Whose work `viewer` asked for (?owner= a user's id, ?team= a team's id): themselves by
    default; someone they do not report on answers 404, as if there were no such user."""
    users = list(access.reported_users(viewer).order_by("first_name", "last_name", "username"))
    teams = list(access.reported_teams(viewer).order_by("name"))
    for user in users:
        user.is_own = user.pk == viewer.pk
    selection = Selection(choices_users=users, choices_teams=teams)
    if params.get("team"):
        team_id = _id_parameter(params["team"], _("team"))
        selection.team = next((team for team in teams if team.pk == team_id), None)
        if selection.team is None:
            raise Http404
        return selection
    owner_id = _id_parameter(params["owner"], _("user")) if params.get("owner") else viewer.pk
    selection.user = next((user for user in users if user.pk == owner_id), None)
    if selection.user is None:
        raise Http404
    return selection


# Selectors --------------------------------------------------------------------------------------


def _rows(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(*ROW_JOINS).prefetch_related(*LINKS)


def work_of(*, viewer, selection: Selection) -> QuerySet:
    """The activities of `selection` that `viewer` may see."""
    return Activity.objects.visible_to(viewer).filter(selection.scope())


def midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the current time zone (the site's unless one is activated)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The start of today and of tomorrow in the site's time zone (settings.TIME_ZONE)."""
    today = timezone.localdate(now)
    return midnight(today), midnight(today + datetime.timedelta(days=1))


def section_filters(now: datetime.datetime) -> dict[str, Q]:
    """Open activities by when they are due. An all-day one is due at the start of its day, so it
    is today's all day long, and overdue from the next day on."""
    today_start, tomorrow_start = day_bounds(now)
    overdue = Q(due_at__lt=today_start) | Q(due_at__gte=today_start, due_at__lt=now, all_day=False)
    return {
        "overdue": overdue,
        "today": Q(due_at__gte=today_start, due_at__lt=tomorrow_start) & ~overdue,
        "upcoming": Q(due_at__gte=tomorrow_start),
        "undated": Q(due_at__isnull=True),
    }


SECTION_TITLES = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Today"),
    "upcoming": gettext_lazy("Upcoming"),
    "undated": gettext_lazy("No date"),
}


def my_work_sections(*, viewer, selection: Selection, now: datetime.datetime | None = None) -> list[dict]:
    """The open activities of `selection` in sections (overdue, today, upcoming, undated), each
    the first SECTION_CAP by due time with the section's full count: five queries, and one per
    kind of link the rows have."""
    now = now or timezone.now()
    filters = section_filters(now)
    open_work = work_of(viewer=viewer, selection=selection).open()
    counts = open_work.aggregate(**{name: Count("pk", filter=where) for name, where in filters.items()})
    rows_by_section = {}
    for name, where in filters.items():
        ordering = ("-created_at", "-pk") if name == "undated" else ("due_at", "pk")
        shown = open_work.filter(where).select_related(*ROW_JOINS).order_by(*ordering)[:SECTION_CAP]
        rows_by_section[name] = list(shown) if counts[name] else []
    # The links of every section's rows, one query per kind of link.
    prefetch_related_objects([row for rows in rows_by_section.values() for row in rows], *LINKS)
    sections = []
    for name in filters:
        rows = rows_by_section[name]
        sections.append(
            {
                "name": name,
                "title": SECTION_TITLES[name],
                "rows": rows,
                "count": counts[name],
                "more": max(counts[name] - len(rows), 0),
            }
        )
    return sections


def due_todos(*, user, now: datetime.datetime | None = None) -> QuerySet:
    """`user`'s own open to-dos due today or overdue, that they may see (the daily digest)."""
    now = now or timezone.now()
    _today_start, tomorrow_start = day_bounds(now)
    return _rows(
        Activity.objects.visible_to(user)
        .open()
        .filter(owner=user, kind=Activity.Kind.TODO, due_at__lt=tomorrow_start)
        .order_by("due_at", "pk")
    )


# The calendar -----------------------------------------------------------------------------------


@dataclass
class Period:
    kind: str  # "week" or "month"
    first: datetime.date  # first day shown (a Monday)
    last: datetime.date  # last day shown (a Sunday)
    month: int | None = None  # the month of a month view (days outside it are greyed)
    title: str = ""
    previous: str = ""
    next: str = ""
    current: str = ""

    @property
    def value(self) -> str:
        """The period's own parameter value, e.g. "2026-W49"."""
        return self.current.partition("=")[2]

    @property
    def days(self) -> list[datetime.date]:
        count = (self.last - self.first).days + 1
        return [self.first + datetime.timedelta(days=offset) for offset in range(count)]


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadParameter(
            _("Choose a year between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )


def _week_parameter(monday: datetime.date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _month_parameter(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def _week_period(monday: datetime.date) -> Period:
    year, week, _weekday = monday.isocalendar()
    previous, following = monday - datetime.timedelta(days=7), monday + datetime.timedelta(days=7)
    return Period(
        kind="week",
        first=monday,
        last=monday + datetime.timedelta(days=6),
        title=_("Week %(week)s, %(year)s") % {"week": week, "year": year},
        previous=f"week={_week_parameter(previous)}" if previous.year >= FIRST_YEAR else "",
        next=f"week={_week_parameter(following)}" if following.isocalendar()[0] <= LAST_YEAR else "",
        current=f"week={_week_parameter(monday)}",
    )


def _month_period(year: int, month: int) -> Period:
    first_of_month = datetime.date(year, month, 1)
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    last_of_month = next_month - datetime.timedelta(days=1)
    previous_month = first_of_month - datetime.timedelta(days=1)
    return Period(
        kind="month",
        first=first_of_month - datetime.timedelta(days=first_of_month.weekday()),
        last=last_of_month + datetime.timedelta(days=6 - last_of_month.weekday()),
        month=month,
        title=dateformat.format(first_of_month, "F Y"),
        previous=f"month={_month_parameter(previous_month.year, previous_month.month)}"
        if previous_month.year >= FIRST_YEAR
        else "",
        next=f"month={_month_parameter(next_month.year, next_month.month)}"
        if next_month.year <= LAST_YEAR
        else "",
        current=f"month={_month_parameter(year, month)}",
    )


def period_from(params, today: datetime.date) -> Period:
    """The week (?week=2026-W49) or month (?month=2026-12) asked for; this month by default.
    Anything else raises BadParameter with what is wrong."""
    if params.get("week"):
        match = WEEK_PATTERN.fullmatch(params["week"])
        if match is None:
            raise BadParameter(_("Give the week as year-Wweek, e.g. 2026-W49."))
        year, week = int(match[1]), int(match[2])
        _check_year(year)
        try:
            monday = datetime.date.fromisocalendar(year, week, 1)
        except ValueError as error:
            raise BadParameter(_("%(year)s has no week %(week)s.") % {"year": year, "week": week}) from error
        return _week_period(monday)
    if params.get("month"):
        match = MONTH_PATTERN.fullmatch(params["month"])
        if match is None:
            raise BadParameter(_("Give the month as year-month, e.g. 2026-12."))
        year, month = int(match[1]), int(match[2])
        _check_year(year)
        if not 1 <= month <= 12:
            raise BadParameter(_("A month is between 1 and 12."))
        return _month_period(year, month)
    if params.get("view") == "week":
        return _week_period(today - datetime.timedelta(days=today.weekday()))
    return _month_period(today.year, today.month)


def calendar_days(*, viewer, selection: Selection, period: Period) -> list[dict]:
    """Each day of `period` with its activities (open and done, not cancelled), at most
    CALENDAR_DAY_CAP[period.kind] a day by start time, and how many there are: two queries."""
    start, end = midnight(period.first), midnight(period.last + datetime.timedelta(days=1))
    shown = (
        work_of(viewer=viewer, selection=selection)
        .exclude(status=Activity.Status.CANCELLED)
        .filter(due_at__gte=start, due_at__lt=end)
    )
    day = TruncDate("due_at", tzinfo=timezone.get_current_timezone())
    per_day = shown.annotate(day=day).values("day").annotate(count=Count("pk"))
    counts = {row["day"]: row["count"] for row in per_day}
    rows_by_day: dict[datetime.date, list[Activity]] = {}
    if counts:
        ranked = _rows(shown).annotate(
            day=day,
            rank=Window(RowNumber(), partition_by=[day], order_by=[F("due_at").asc(), F("pk").asc()]),
        )
        for activity in ranked.filter(rank__lte=CALENDAR_DAY_CAP[period.kind]).order_by("due_at", "pk"):
            rows_by_day.setdefault(activity.day, []).append(activity)
    today = timezone.localdate()
    days = []
    for date in period.days:
        rows = rows_by_day.get(date, [])
        days.append(
            {
                "date": date,
                "rows": rows,
                "more": counts.get(date, 0) - len(rows),
                "is_today": date == today,
                "outside": period.month is not None and date.month != period.month,
                "week": _week_parameter(date - datetime.timedelta(days=date.weekday())),
            }
        )
    return days


# Views ------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _route_exists(name: str) -> bool:
    """Whether another part of the app has added `name` yet (the timeline's complete and edit)."""
    try:
        reverse(name, args=[1])
    except NoReverseMatch:
        return False
    return True


def _row_actions() -> dict[str, bool]:
    return {
        "can_complete": _route_exists("activities:activity_complete"),
        "can_open": _route_exists("activities:activity_edit"),
    }


def _bad_request(request, template: str, message: str):
    return render(request, template, {"error": message}, status=400)


@require_GET
def my_work(request):
    try:
        selection = selection_for(request.user, request.GET)
    except BadParameter as error:
        return _bad_request(request, "activities/my_work.html", str(error))
    context = {
        "selection": selection,
        "sections": my_work_sections(viewer=request.user, selection=selection),
        **_row_actions(),
    }
    return render(request, "activities/my_work.html", context)


@require_GET
def calendar_view(request):
    try:
        selection = selection_for(request.user, request.GET)
        period = period_from(request.GET, timezone.localdate())
    except BadParameter as error:
        return _bad_request(request, "activities/calendar_view.html", str(error))
    weeks_days = calendar_days(viewer=request.user, selection=selection, period=period)
    context = {
        "selection": selection,
        "period": period,
        "weeks": [weeks_days[index : index + 7] for index in range(0, len(weeks_days), 7)],
        "weekdays": [day["date"] for day in weeks_days[:7]],
        **_row_actions(),
    }
    return render(request, "activities/calendar_view.html", context)
