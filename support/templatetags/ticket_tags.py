"""{% due_time ticket "resolution" %}: a ticket's due time with an "overdue", "due soon" or
"paused" badge (support/partials/due_time.html)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from support.models import Ticket
from support.selectors import BREACHING_WITHIN

register = template.Library()


@register.inclusion_tag("support/partials/due_time.html")
def due_time(ticket: Ticket, which: str = "resolution") -> dict:
    """The due time of the first response or the resolution, and its state: "done" (answered,
    resolved), "paused" (waiting on the customer), "overdue", "soon" (within two hours) or ""."""
    due = ticket.first_response_due_at if which == "first_response" else ticket.resolution_due_at
    state = ""
    if which == "first_response" and ticket.first_responded_at:
        state = "done"
    elif not ticket.is_open:
        state = "done" if which == "resolution" else ""
    elif ticket.status == Ticket.Status.WAITING and which == "resolution":
        state = "paused"
    elif due is not None:
        now = timezone.now()
        state = "overdue" if due < now else ("soon" if due <= now + BREACHING_WITHIN else "")
    return {"due": due, "state": state, "which": which}
