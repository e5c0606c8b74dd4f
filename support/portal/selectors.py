"""What a signed-in customer may read: their company's tickets and those tickets' public
messages. The one scope every portal page starts from (the portal's `visible_to`)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from contacts.models import Person
from support.models import Ticket, TicketMessage


def portal_tickets(person: Person) -> QuerySet[Ticket]:
    """Every ticket of `person`'s company, newest first; none for a person without a company."""
    if person.company_id is None:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(company_id=person.company_id)
        .select_related("contact")
        .order_by("-created_at", "-pk")
    )


def portal_ticket_or_404(person: Person, pk) -> Ticket:
    """The ticket `pk` if `person`'s company's, else 404 (the same for another's and a missing one)."""
    ticket = portal_tickets(person).filter(pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


def portal_conversation(ticket: Ticket) -> QuerySet[TicketMessage]:
    """The ticket's public messages in order: customer messages and agents' replies, never notes."""
    return (
        TicketMessage.objects.filter(ticket=ticket)
        .public()
        .select_related("author", "author_person")
        .order_by("created_at", "pk")
    )
