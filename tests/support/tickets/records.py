"""Tickets for the access matrix and the growth test (tests/test_access_matrix.py's `records`,
tests/access_matrix.py's content data set and tests/test_page_growth.py's world take them from
here, as "ticket"): one per kind of owner, like the other records."""

from __future__ import annotations

from support import services
from support.models import Ticket

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def _owners(personas) -> dict:
    owners = {key: {"owner": getattr(personas, key)} for key in OWNER_KEYS}
    owners["unassigned"] = {"owner": None}
    owners["south_team"] = {"owner": personas.admin, "team": personas.south}
    return owners


def make_ticket(actor, *, owner=None, team=None, **values) -> Ticket:
    """A ticket through the service; the team (which follows the queue there) set afterwards."""
    ticket = services.ticket_create(actor=actor, values={"owner": owner, **values})
    if team is not None:
        Ticket.objects.filter(pk=ticket.pk).update(team=team)
        ticket.refresh_from_db()
    return ticket


def tickets_by_owner(personas) -> dict[str, Ticket]:
    return {
        key: make_ticket(
            personas.admin, subject=f"Ticket of {key}", requester_email=f"{key}@example.com", **owner
        )
        for key, owner in _owners(personas).items()
    }


def content_tickets(personas, people: dict) -> dict[str, Ticket]:
    """Tickets for the content check: each with the next owner's person as contact (and so that
    person's company), a customer message from them, a reply and a note, so that a visible ticket
    names a hidden contact and company for every narrowed role."""
    from tests.access_matrix import CONTENT_OWNERS

    tickets = {}
    owners = {**_owners(personas), "north_team": {"owner": personas.rep_other_team, "team": personas.north}}
    for key in CONTENT_OWNERS:
        contact = people[CONTENT_OWNERS[(CONTENT_OWNERS.index(key) + 1) % len(CONTENT_OWNERS)]]
        ticket = make_ticket(personas.admin, subject=f"Ticket of {key}", contact=contact, **owners[key])
        services.ticket_customer_message(ticket=ticket, body="It broke.", person=contact, email=contact.email)
        services.ticket_reply(actor=personas.admin, ticket=ticket, body="We are on it.")
        services.ticket_note(actor=personas.admin, ticket=ticket, body="Internal.")
        ticket.refresh_from_db()
        tickets[key] = ticket
    return tickets


def hub_ticket(personas, company, person) -> Ticket:
    return make_ticket(
        personas.admin, subject="Hub ticket", company=company, contact=person, owner=personas.rep
    )


def grow_tickets(hub: dict, count: int, start: int = 0) -> None:
    """For the growth test: `count` more messages on the hub ticket, tickets of the hub company
    and person (their card panels cap them, the queue view pages them) and calls on the ticket."""
    from activities.models import Activity
    from support.models import TicketMessage

    ticket = hub["ticket"]
    owner = ticket.owner
    kinds = [TicketMessage.Kind.CUSTOMER, TicketMessage.Kind.REPLY, TicketMessage.Kind.NOTE]
    TicketMessage.objects.bulk_create(
        TicketMessage(
            ticket=ticket,
            kind=kinds[number % 3],
            author=owner if number % 3 else None,
            author_person=None if number % 3 else hub["person"],
            body=f"Message {number}",
        )
        for number in range(start, start + count)
    )
    Ticket.objects.bulk_create(
        Ticket(
            subject=f"Grown ticket {number}",
            company=hub["company"],
            contact=hub["person"],
            owner=owner if number % 2 else None,
            reply_key=f"grow{number}",
        )
        for number in range(start, start + count)
    )
    call_type = services.phone_call_type()
    Activity.objects.bulk_create(
        Activity(
            subject=services.call_subject(services.CallDirection.INBOUND, ticket),
            activity_type=call_type,
            company=hub["company"],
            person=hub["person"],
            owner=owner,
            status=Activity.Status.DONE if number % 2 else Activity.Status.OPEN,
            done_at=ticket.created_at if number % 2 else None,
            due_at=ticket.created_at,
        )
        for number in range(start, start + count)
    )
