"""Reads of tickets for the agents' pages: the queue view's saved views, a ticket's card and
conversation, the tickets on a company's or person's card, and an agent's callbacks. Each starts
from `visible_to(user)` (crm.access) and reads what its page shows in a fixed number of queries."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import linked
from crm.pagination import Capped, capped
from support.models import Ticket, TicketMessage

# "Breaching soon": a due time within this of now, or past it.
BREACHING_WITHIN = datetime.timedelta(hours=2)
CARD_LINKS = ("company", "contact", "deal")
PANEL_ROWS = 10
# A ticket's page shows its newest messages, and earlier ones a page at a time.
CONVERSATION_ROWS = 50
MAX_EARLIER = 1000

# The saved views of the queue view (tabs): key → label; the first is the default.
VIEWS = {
    "mine": _("My open"),
    "unassigned": _("Unassigned"),
    "breaching": _("Breaching soon"),
    "open": _("All open"),
    "all": _("All"),
}
DEFAULT_VIEW = "mine"


def breaching_condition(now: datetime.datetime | None = None) -> Q:
    """Tickets whose clock runs (new, open) with a due time within BREACHING_WITHIN or past:
    the first response (not given yet) or the resolution."""
    limit = (now or timezone.now()) + BREACHING_WITHIN
    return Q(status__in=[Ticket.Status.NEW, Ticket.Status.OPEN]) & (
        Q(first_responded_at__isnull=True, first_response_due_at__lte=limit) | Q(resolution_due_at__lte=limit)
    )


def ticket_list(*, user, view: str = DEFAULT_VIEW, status: str = "") -> QuerySet:
    """The tickets of the saved view `view` that `user` sees. The views other than "all" hold the
    open tickets, soonest resolution due first (the partial indexes open_ticket_by_agent_due /
    open_ticket_by_queue_due serve them); a chosen `status` takes the place of "open", so that
    "My open" with "Closed" lists the user's closed tickets. "All" and a resolved or closed status
    list the newest first (ticket_newest_first): a due time means nothing once a ticket is done."""
    tickets = Ticket.objects.visible_to(user)
    if status in Ticket.Status.values:
        tickets = tickets.filter(status=status)
    elif view != "all":
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    if view == "mine":
        tickets = tickets.filter(owner=user)
    elif view == "unassigned":
        tickets = tickets.filter(owner__isnull=True)
    elif view == "breaching":
        tickets = tickets.filter(breaching_condition())
    if status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED) or (
        view == "all" and status not in Ticket.OPEN_STATUSES
    ):
        return tickets.order_by("-created_at", "-id")
    return tickets.order_by("resolution_due_at", "id")


def list_rows(user, ids: list[int]) -> dict[int, Ticket]:
    """The rows of one page of the queue view, by id, with what the table shows."""
    rows = linked.annotate_visible(
        Ticket.objects.filter(pk__in=ids).select_related("company", "contact", "owner", "queue"),
        user,
        "company",
        "contact",
    )
    return {ticket.pk: ticket for ticket in rows}


def ticket_card(*, user) -> QuerySet:
    """Tickets `user` sees, each with what its page shows and whether its links are visible."""
    return linked.annotate_visible(
        Ticket.objects.visible_to(user).select_related(
            "company", "contact", "deal", "product", "queue", "owner", "team", "sla_policy", "merged_into"
        ),
        user,
        *CARD_LINKS,
    )


def conversation(ticket: Ticket, user, *, earlier: int = 0) -> tuple[list[TicketMessage], bool]:
    """One page of the ticket's messages, oldest first, with their authors (the caller checked
    that the ticket is visible): the newest CONVERSATION_ROWS, or with `earlier` = n the n-th page
    before them; and whether there are earlier ones. A customer `user` may not see is named by
    the address they wrote from."""
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author", "author_person")
    messages = linked.annotate_visible(messages, user, "author_person").order_by("-created_at", "-pk")
    start = min(max(earlier, 0), MAX_EARLIER) * CONVERSATION_ROWS
    rows = list(messages[start : start + CONVERSATION_ROWS + 1])
    return rows[:CONVERSATION_ROWS][::-1], len(rows) > CONVERSATION_ROWS


def ticket_calls(ticket: Ticket, user) -> Capped:
    """The calls logged on `ticket` (activities whose subject names it), newest first, capped."""
    from activities.models import Activity
    from support.services import call_subject

    if ticket.company_id is None and ticket.contact_id is None:
        return capped(Activity.objects.none())
    subjects = [call_subject(direction, ticket) for direction in ("inbound", "outbound")]
    calls = Activity.objects.visible_to(user).filter(subject__in=subjects)
    calls = (
        calls.filter(person=ticket.contact_id)
        if ticket.contact_id
        else calls.filter(company=ticket.company_id)
    )
    return capped(calls.select_related("owner").order_by("-due_at", "-pk"), PANEL_ROWS)


def tickets_of(*, user, company=None, person=None) -> Capped:
    """A company's or person's tickets that `user` sees (card panels), open ones first, capped."""
    tickets = Ticket.objects.visible_to(user)
    tickets = tickets.filter(company=company) if company is not None else tickets.filter(contact=person)
    return capped(
        tickets.select_related("owner").order_by("-created_at", "-id"),
        PANEL_ROWS,
    )


def callbacks(*, user) -> QuerySet:
    """The user's open call to-dos (phone calls), soonest first: their callback list."""
    from activities.models import Activity
    from support.services import phone_call_type

    calls = Activity.objects.visible_to(user).filter(
        owner=user, status=Activity.Status.OPEN, kind=Activity.Kind.TODO, activity_type=phone_call_type()
    )
    return linked.annotate_visible(
        calls.select_related("company", "person"), user, "company", "person"
    ).order_by("due_at", "pk")


def watchable_users(ticket: Ticket):
    """The active colleagues one may add as watchers (those who may see the ticket are checked
    when added)."""
    from crm.models import User

    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
