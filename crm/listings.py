"""What apps add to another app's lists and board, registered from their AppConfig.ready(): the
page renders what it is given and names no app above it (as crm.cards does for cards).

- A badge: a small fragment per row of a list or card of the board (activities: a record's next
  step). Its `values` callable answers for every row of the page at once (one query), so a page
  of fifty rows costs what a page of one does.
- A lane: a column beside the board's stages (activities: the open first meetings, seed 002).
- An action: a button beside a list's "New …" (imports: "Import", seed 003).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe


def _always(user) -> bool:
    return True


@dataclass(frozen=True)
class Badge:
    template: str  # included per row with {"record": row, "value": values(...)[row.pk]}
    values: Callable[[Any, list], dict]  # (user, rows) -> {row pk: value}; rows absent get None
    order: int = 50
    visible: Callable[[Any], bool] = _always
    label: str = ""  # the column heading on a list
    # The template's HTML written in Python (value -> escaped HTML): a list writes fifty rows
    # in Python and would otherwise render the template once per row.
    cell: Callable[[Any], str] | None = None

    def render(self, record, value) -> str:
        if self.cell is not None:
            return mark_safe(self.cell(value))  # noqa: S308 - a cell escapes what it writes
        return render_to_string(self.template, {"record": record, "value": value})


@dataclass(frozen=True)
class Lane:
    template: str  # included beside the board's columns with {"lane": context(...)}
    context: Callable[..., dict]  # (user, **what the page passes, e.g. query=BoardQuery)
    order: int = 50
    visible: Callable[[Any], bool] = _always


@dataclass(frozen=True)
class ListAction:
    label: str
    url_name: str
    query: str = ""  # appended after "?", e.g. "kind=companies"
    permission: str | None = None  # who gets the button
    order: int = 50


_badges: dict[type[models.Model], list[Badge]] = defaultdict(list)
_actions: dict[str, list[ListAction]] = defaultdict(list)
_lanes: dict[str, list[Lane]] = defaultdict(list)


def register_badge(model: type[models.Model], badge: Badge) -> None:
    if badge not in _badges[model]:
        _badges[model].append(badge)


def register_lane(page: str, lane: Lane) -> None:
    """Add `lane` to the page named `page` (its URL name, e.g. "opportunities:board")."""
    if lane not in _lanes[page]:
        _lanes[page].append(lane)


def badges_for(model: type[models.Model], user) -> list[Badge]:
    """The badges of `model`'s rows that `user` gets, in order (a list's extra columns)."""
    return sorted((b for b in _badges.get(model, ()) if b.visible(user)), key=lambda b: b.order)


def list_badges(model: type[models.Model], rows: list, user) -> list[Badge]:
    """For a list page or the board: set `row.badge_cells` to each badge's HTML on every row (one
    `values` call per badge) and answer the badges, whose labels head the extra columns."""
    badges = badges_for(model, user)
    values = [badge.values(user, rows) if rows else {} for badge in badges]
    for row in rows:
        row.badge_cells = [
            badge.render(row, found.get(row.pk)) for badge, found in zip(badges, values, strict=True)
        ]
    return badges


def register_list_action(page: str, action: ListAction) -> None:
    """Add a button to the list page named `page` (its URL name, e.g. "contacts:company_list")."""
    if action not in _actions[page]:
        _actions[page].append(action)


def list_actions_for(page: str, user) -> list[tuple[str, str]]:
    """(label, URL) of each button of `page` that `user` gets, in order."""
    actions = sorted(_actions.get(page, ()), key=lambda action: action.order)
    return [
        (str(action.label), reverse(action.url_name) + (f"?{action.query}" if action.query else ""))
        for action in actions
        if action.permission is None or user.has_perm(action.permission)
    ]


def lanes_for(page: str, user, **params) -> list[tuple[str, dict]]:
    """(template, context) of each lane of `page` that `user` gets, in order."""
    lanes = sorted((lane for lane in _lanes.get(page, ()) if lane.visible(user)), key=lambda lane: lane.order)
    return [(lane.template, lane.context(user, **params)) for lane in lanes]
