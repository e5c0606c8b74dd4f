"""The panels of a record's card, registered by the apps that own what each panel shows.

A card (the company or person page) is a header and the record's own details, then the panels
registered for its model, in `order`. Contacts renders whatever is registered and names no app
above it: opportunities adds the deals of a company, leads the converted leads, and the apps
still to come (activities, tickets, marketing, GDPR) add theirs from their AppConfig.ready().
An app that is not installed registers nothing, so its panel is simply not there.

A panel's template is included in the card with the card's context (so `perms`, `request` and
`csrf_token` work) plus `record` and `context`, the dict its `context` callable returned. That
callable answers for what the panel shows: it starts from `visible_to(user)` and caps its rows,
so the card's query count does not grow with the data (tests/test_page_growth.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


def _always(user) -> bool:
    return True


@dataclass(frozen=True)
class Panel:
    template: str  # a partial, included with {"record": ..., "context": context(record, user)}
    context: Callable[[models.Model, Any], dict]
    order: int = 50
    # Whether `user` gets the panel at all (a permission check); what the panel lists is scoped
    # by `context` through visible_to.
    visible: Callable[[Any], bool] = _always


_panels: dict[type[models.Model], list[Panel]] = defaultdict(list)


def register_panel(model: type[models.Model], panel: Panel) -> None:
    """Add `panel` to the card of `model` (from an AppConfig.ready(); registering twice is a no-op)."""
    if panel not in _panels[model]:
        _panels[model].append(panel)


def panels_for(record: models.Model, user) -> list[tuple[Panel, dict]]:
    """The panels of `record`'s card that `user` gets, in order, each with its context."""
    panels = sorted(_panels.get(type(record), ()), key=lambda panel: panel.order)
    return [(panel, panel.context(record, user)) for panel in panels if panel.visible(user)]
