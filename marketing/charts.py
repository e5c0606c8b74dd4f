"""A campaign's results against its targets as a bar chart in inline SVG, drawn on the server
(no JavaScript chart library, no CDN): each bar's width is computed here, the template draws
rectangles with those widths as attributes (no inline styles, for the CSP)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from crm.money import format_amount
from marketing.selectors import CampaignResults

WIDTH = 300  # the drawing area of a bar, in SVG user units
ROW = 34


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    target_text: str
    width: int  # of the achieved part, 0..WIDTH
    target_x: int | None  # where the target line is drawn (None: no target)
    y: int
    over: bool


def _scale(value: Decimal, target: Decimal) -> tuple[int, int | None, bool]:
    value, target = Decimal(value), Decimal(target)
    if target <= 0:
        return (WIDTH if value > 0 else 0), None, False
    top = max(value, target)
    width = int(value / top * WIDTH)
    return width, int(target / top * WIDTH), value > target


def campaign_chart(results: CampaignResults) -> dict:
    """The bars: leads against the leads target, won value against the revenue target, the
    actual cost against the budget."""
    rows = [
        (_("Leads"), Decimal(results.leads), Decimal(results.target_leads), False),
        (_("Won value"), results.won_value, results.target_revenue, True),
        (_("Cost"), results.cost, results.budget, True),
    ]
    bars = []
    for index, (label, value, target, is_money) in enumerate(rows):
        width, target_x, over = _scale(value, target)
        text = format_amount(value, whole=True) if is_money else str(int(value))
        target_text = (format_amount(target, whole=True) if is_money else str(int(target))) if target else ""
        bars.append(Bar(str(label), text, target_text, width, target_x, index * ROW, over))
    return {"bars": bars, "width": WIDTH, "height": len(bars) * ROW, "label_width": 110}
