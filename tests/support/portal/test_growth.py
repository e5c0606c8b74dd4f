"""The portal's pages do the same work with three times the tickets and messages (the growth
test's rule, tests/test_page_growth.py, for pages that need a portal session)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from support import services
from support.models import Ticket, TicketMessage
from tests.support.portal.conftest import ticket_for

pytestmark = pytest.mark.django_db


def grow(customer, hub: Ticket, count: int) -> None:
    for number in range(count):
        ticket = ticket_for(customer, f"Grown {number}")
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.OPEN)
    TicketMessage.objects.bulk_create(
        TicketMessage(ticket=hub, kind=kind, body=f"Grown message {number}", author_person=customer.person)
        for number in range(count)
        for kind in (TicketMessage.Kind.CUSTOMER, TicketMessage.Kind.NOTE)
    )


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_portal_pages_run_the_same_queries_with_three_times_the_data(signed_in, ours, admin):
    hub = ticket_for(ours, "Hub")
    services.ticket_reply(actor=admin, ticket=hub, body="Agent reply")
    urls = [
        reverse("portal:ticket_list"),
        reverse("portal:ticket_list") + "?show=all&page=2",
        reverse("portal:ticket_detail", args=[hub.pk]),
        reverse("portal:ticket_create"),
        reverse("portal:article_list"),
    ]
    grow(ours, hub, 30)
    small = [queries(signed_in, url) for url in urls]
    grow(ours, hub, 60)
    assert [queries(signed_in, url) for url in urls] == small
