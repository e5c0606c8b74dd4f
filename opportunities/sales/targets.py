"""The sales target comparison: each rep's and team's target for a period against the won
and weighted value of their deals (read only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from crm import access
from crm.models import Team, User
from opportunities.models import Deal, Stage, weighted_value_expression
from opportunities.sales.models import CENT, SalesTarget, period_end


@dataclass(frozen=True)
class Period:
    start: datetime.date
    kind: str = SalesTarget.PeriodType.MONTH

    @property
    def end(self) -> datetime.date:
        return period_end(self.start, self.kind)

    @classmethod
    def containing(cls, day: datetime.date, kind: str = SalesTarget.PeriodType.MONTH) -> Period:
        month = day.month if kind == SalesTarget.PeriodType.MONTH else (day.month - 1) // 3 * 3 + 1
        return cls(datetime.date(day.year, month, 1), kind)


@dataclass
class TargetRow:
    name: str
    target: Decimal | None
    won: Decimal
    weighted: Decimal
    user: User | None = None
    team: Team | None = None

    @property
    def achieved_percent(self) -> int | None:
        if not self.target:
            return None
        return int(self.won * 100 / self.target)


def _reps_for(user) -> tuple[list[User], list[Team]]:
    """The sellers and teams whose figures `user` sees (crm.access.reported_users / _teams)."""
    reps = access.reported_users(user).order_by("first_name", "last_name", "username")
    return list(reps), list(access.reported_teams(user).order_by("name"))


def _targets(period: Period, users: list[User], teams: list[Team]) -> dict[tuple[str, int], Decimal]:
    """Target per ("user" | "team", id): the period's own target, else the sum of its months'."""
    rows = SalesTarget.objects.filter(
        Q(user__in=users) | Q(team__in=teams), period_start__gte=period.start, period_start__lte=period.end
    ).values_list("user_id", "team_id", "period_type", "period_start", "amount")
    exact: dict[tuple[str, int], Decimal] = {}
    months: dict[tuple[str, int], Decimal] = {}
    for user_id, team_id, period_type, start, amount in rows:
        key = ("user", user_id) if user_id else ("team", team_id)
        if period_type == period.kind and start == period.start:
            exact[key] = amount
        elif period_type == SalesTarget.PeriodType.MONTH:
            months[key] = months.get(key, Decimal(0)) + amount
    return {**months, **exact}


def target_comparison(user, period: Period) -> list[TargetRow]:
    """Per visible seller, then per team: target, won value (closed in the period, won stages) and
    weighted open pipeline (expected to close in the period), from deals `user` may see."""
    reps, teams = _reps_for(user)
    targets = _targets(period, reps, teams)
    deals = access.visible_to(Deal.objects.all(), user).filter(owner__in=reps, value__isnull=False)
    won = dict(
        deals.filter(stage__kind=Stage.Kind.WON, closed_on__range=(period.start, period.end))
        .values_list("owner_id")
        .annotate(total=Sum("value"))
        .values_list("owner_id", "total")
    )
    weighted = dict(
        deals.filter(stage__kind=Stage.Kind.OPEN, expected_close_date__range=(period.start, period.end))
        .values_list("owner_id")
        .annotate(total=Sum(weighted_value_expression()))
        .values_list("owner_id", "total")
    )
    rows = [
        TargetRow(
            name=rep.get_full_name() or rep.username,
            user=rep,
            target=targets.get(("user", rep.pk)),
            won=won.get(rep.pk) or Decimal(0),
            weighted=(weighted.get(rep.pk) or Decimal(0)).quantize(CENT),
        )
        for rep in reps
    ]
    if teams:
        rows += _team_rows(teams, rows, targets)
    return rows


def _team_rows(teams: list[Team], rep_rows: list[TargetRow], targets) -> list[TargetRow]:
    by_user = {row.user.pk: row for row in rep_rows if row.user}
    memberships = Team.objects.filter(pk__in=[team.pk for team in teams]).values_list("pk", "members")
    members: dict[int, set[int]] = {team.pk: set() for team in teams}
    for team_id, user_id in memberships:
        if user_id in by_user:
            members[team_id].add(user_id)
    return [
        TargetRow(
            name=team.name,
            team=team,
            target=targets.get(("team", team.pk)),
            won=sum((by_user[pk].won for pk in members[team.pk]), Decimal(0)),
            weighted=sum((by_user[pk].weighted for pk in members[team.pk]), Decimal(0)),
        )
        for team in teams
    ]
