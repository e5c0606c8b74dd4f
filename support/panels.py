"""Tickets on the cards (crm.cards): a company's and a person's tickets that the viewer sees,
newest first and capped, with a link to file a new one for them."""

from __future__ import annotations

from crm import cards
from support import selectors

TEMPLATE = "support/partials/tickets_panel.html"


def company_panel(company, user) -> dict:
    return {
        "tickets": selectors.tickets_of(user=user, company=company),
        "create_query": f"company={company.pk}",
        "list_query": f"company={company.pk}",
    }


def person_panel(person, user) -> dict:
    return {
        "tickets": selectors.tickets_of(user=user, person=person),
        "create_query": f"contact={person.pk}",
        "list_query": "",
    }


def register() -> None:
    from contacts.models import Company, Person

    cards.register_panel(Company, cards.Panel(TEMPLATE, company_panel, order=70))
    cards.register_panel(Person, cards.Panel(TEMPLATE, person_panel, order=70))
