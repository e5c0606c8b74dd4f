"""The agents' ticket pages through the client: the queue view's saved views and filters, the
ticket page (conversation kinds, hidden links), reply, note, quick actions, merge, calls, the
version check, bad input, card panels and pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import OutboundEmail
from support import services
from support.models import Ticket
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


def new_ticket(actor, **values):
    return services.ticket_create(actor=actor, values={"subject": "Scanner jams", **values})


def test_the_queue_view_shows_my_open_tickets_by_default_with_an_overdue_badge(client, rep, admin):
    mine = new_ticket(rep, owner=rep, subject="Mine")
    Ticket.objects.filter(pk=mine.pk).update(resolution_due_at=timezone.now() - datetime.timedelta(hours=1))
    new_ticket(admin, owner=admin, subject="Not mine")
    client.force_login(rep)
    response = client.get(reverse("support:ticket_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Mine" in text and "Not mine" not in text
    assert 'data-testid="overdue"' in text


def test_the_queue_view_filters_and_searches(client, admin):
    new_ticket(admin, subject="Film reel torn", priority="high")
    new_ticket(admin, subject="Invoice question", priority="low")
    client.force_login(admin)
    url = reverse("support:ticket_list")
    text = client.get(url, {"view": "open", "q": "reel"}).content.decode()
    assert "Film reel torn" in text and "Invoice question" not in text
    text = client.get(url, {"view": "open", "priority": "low"}).content.decode()
    assert "Invoice question" in text and "Film reel torn" not in text
    assert (
        client.get(url, {"view": "nonsense", "status": "bogus", "company": "x", "page": "-3"}).status_code
        == 200
    )


def test_a_closed_or_resolved_status_filter_reaches_done_tickets_from_an_open_view(client, restricted, admin):
    new_ticket(restricted, owner=restricted, subject="Still broken")
    closed_one = new_ticket(restricted, owner=restricted, subject="Fixed long ago")
    services.ticket_set_status(actor=restricted, ticket=closed_one, status=Ticket.Status.CLOSED)
    resolved_one = new_ticket(restricted, owner=restricted, subject="Fixed yesterday")
    services.ticket_set_status(actor=restricted, ticket=resolved_one, status=Ticket.Status.RESOLVED)
    others = new_ticket(admin, owner=admin, subject="Closed by someone else")
    services.ticket_set_status(actor=admin, ticket=others, status=Ticket.Status.CLOSED)
    client.force_login(restricted)
    url = reverse("support:ticket_list")

    def subjects(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {ticket.subject for ticket in response.context["page"]}

    # "My open" alone: open ones only; with a done status: the user's tickets of that status.
    assert subjects(view="mine") == {"Still broken"}
    assert subjects(view="mine", status="closed") == {"Fixed long ago"}
    assert subjects(view="mine", status="resolved") == {"Fixed yesterday"}
    # In "All open" too, and still only what the user may see (not the admin's closed ticket).
    assert subjects(view="open", status="closed") == {"Fixed long ago"}
    assert subjects(view="all", status="open") == {"Still broken"}
    assert subjects(view="all") == {"Still broken", "Fixed long ago", "Fixed yesterday"}


def test_all_and_done_tickets_list_newest_first_and_open_views_by_due_time(admin):
    from support import selectors

    older = new_ticket(admin, owner=admin, subject="Older", priority="urgent")
    newer = new_ticket(admin, owner=admin, subject="Newer", priority="low")
    Ticket.objects.filter(pk=older.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert list(selectors.ticket_list(user=admin, view="open")) == [older, newer]  # urgent: due first
    assert list(selectors.ticket_list(user=admin, view="all")) == [newer, older]
    for ticket in (older, newer):
        services.ticket_set_status(actor=admin, ticket=ticket, status=Ticket.Status.CLOSED)
    assert list(selectors.ticket_list(user=admin, view="mine", status="closed")) == [newer, older]
    assert list(selectors.ticket_list(user=admin, view="mine", status="bogus")) == []


def test_the_queue_views_query_count_does_not_grow_with_rows(client, admin):
    client.force_login(admin)
    url = reverse("support:ticket_list") + "?view=open"
    company = CompanyFactory()
    new_ticket(admin, company=company, contact=PersonFactory(company=company))
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(12):
        new_ticket(admin, company=CompanyFactory(), contact=PersonFactory())
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


def test_a_ticket_page_shows_the_conversation_with_notes_apart_and_hides_a_hidden_company(
    client, rep, restricted
):
    hidden = CompanyFactory(name="Secret Holdings", owner=rep)
    ticket = new_ticket(rep, company=hidden, owner=restricted)
    services.ticket_customer_message(ticket=ticket, body="<script>alert(1)</script>", email="a@example.com")
    services.ticket_reply(actor=restricted, ticket=ticket, body="Public answer")
    services.ticket_note(actor=restricted, ticket=ticket, body="Only for us")
    client.force_login(restricted)
    text = client.get(reverse("support:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Secret Holdings" not in text
    assert 'data-testid="hidden-record"' in text
    assert 'data-testid="message-note"' in text and "Only for us" in text
    assert 'data-testid="message-reply"' in text and 'data-testid="message-customer"' in text
    assert "<script>alert(1)</script>" not in text


def test_replying_mails_the_customer_and_can_set_waiting(client, admin):
    ticket = new_ticket(admin, requester_email="cust@example.com", owner=admin)
    client.force_login(admin)
    response = client.post(
        reverse("support:ticket_reply", args=[ticket.pk]), {"body": "Try again", "status": "waiting"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.paused_at is not None
    assert OutboundEmail.objects.filter(recipients=["cust@example.com"]).exists()


def test_an_empty_reply_or_note_is_refused_and_nothing_is_saved(client, admin):
    ticket = new_ticket(admin, owner=admin)
    client.force_login(admin)
    assert client.post(reverse("support:ticket_reply", args=[ticket.pk]), {"body": "   "}).status_code == 400
    assert client.post(reverse("support:ticket_note", args=[ticket.pk]), {"note-body": ""}).status_code == 400
    assert (
        client.post(
            reverse("support:ticket_reply", args=[ticket.pk]), {"body": "x", "status": "bad"}
        ).status_code
        == 400
    )
    assert not ticket.messages.exists()


def test_a_note_is_added_with_the_prefixed_form(client, admin):
    ticket = new_ticket(admin, owner=admin)
    client.force_login(admin)
    assert (
        client.post(reverse("support:ticket_note", args=[ticket.pk]), {"note-body": "Check"}).status_code
        == 302
    )
    assert ticket.messages.get().kind == "note"


def test_quick_status_and_assign_with_htmx_swap_the_actions_box(client, admin, rep):
    ticket = new_ticket(admin, owner=admin)
    client.force_login(admin)
    response = client.post(
        reverse("support:ticket_set_status", args=[ticket.pk]), {"status": "resolved"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'id="ticket-actions"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    response = client.post(
        reverse("support:ticket_assign", args=[ticket.pk]), {"owner": rep.pk, "version": ticket.version}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.owner == rep


def test_assigning_against_an_old_version_is_refused(client, admin, rep):
    ticket = new_ticket(admin, owner=admin)
    client.force_login(admin)
    response = client.post(
        reverse("support:ticket_assign", args=[ticket.pk]),
        {"owner": rep.pk, "version": ticket.version - 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert "Someone else saved" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.owner == admin


def test_editing_a_ticket_against_an_old_version_shows_the_stored_one(client, admin):
    ticket = new_ticket(admin, owner=admin, requester_email="a@example.com")
    services.ticket_update(actor=admin, ticket=ticket, values={"subject": "Changed"}, version=ticket.version)
    client.force_login(admin)
    response = client.post(
        reverse("support:ticket_update", args=[ticket.pk]),
        {"subject": "Mine", "requester_email": "a@example.com", "priority": "normal", "status": "open",
         "channel": "email", "version": ticket.version},
    )  # fmt: skip
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.subject == "Changed"


def test_creating_a_ticket_needs_a_customer_and_takes_a_visible_company_only(client, rep, restricted):
    hidden = CompanyFactory(owner=rep)
    client.force_login(restricted)
    url = reverse("support:ticket_create")
    data = {"subject": "Help", "priority": "normal", "status": "new", "channel": "phone"}
    assert client.post(url, data).status_code == 200
    assert client.post(url, {**data, "company": hidden.pk}).status_code == 200
    assert not Ticket.objects.exists()
    response = client.post(url, {**data, "requester_email": "x@example.com"})
    assert response.status_code == 302
    assert Ticket.objects.get().subject == "Help"


def test_mass_assignment_of_team_and_sla_fields_is_ignored(client, admin, personas):
    ticket = new_ticket(admin, owner=admin, requester_email="a@example.com")
    client.force_login(admin)
    client.post(
        reverse("support:ticket_update", args=[ticket.pk]),
        {"subject": "S", "requester_email": "a@example.com", "priority": "normal", "status": "open",
         "channel": "email", "version": ticket.version, "team": personas.north.pk,
         "resolution_due_at": "2000-01-01T00:00", "merged_into": ticket.pk},
    )  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.subject == "S" and ticket.team_id is None and ticket.merged_into_id is None
    assert ticket.resolution_due_at.year != 2000


def test_merging_through_the_page_refuses_a_ticket_one_may_not_change(client, rep, admin, rep_other_team):
    survivor = new_ticket(rep, owner=rep)
    foreign = new_ticket(admin, owner=rep_other_team)
    client.force_login(rep)
    url = reverse("support:ticket_merge", args=[survivor.pk])
    response = client.post(url, {"duplicate": foreign.pk})
    assert response.status_code == 200 and "no ticket with that number" in response.content.decode()
    assert client.post(url, {"duplicate": "99999999999999999999999"}).status_code == 200
    foreign.refresh_from_db()
    assert foreign.merged_into_id is None
    mine = new_ticket(rep, owner=rep)
    assert client.post(url, {"duplicate": mine.pk}).status_code == 302
    mine.refresh_from_db()
    assert mine.merged_into_id == survivor.pk


def test_watching_oneself_needs_only_to_see_the_ticket(client, rep, admin, restricted):
    ticket = new_ticket(admin, owner=admin)
    client.force_login(rep)  # a rep sees every record by default but may not change the admin's
    assert client.post(reverse("support:ticket_watch", args=[ticket.pk])).status_code == 302
    assert list(ticket.watchers.all()) == [rep]
    response = client.post(reverse("support:ticket_watch", args=[ticket.pk]), {"user": restricted.pk})
    assert response.status_code == 403
    assert client.post(reverse("support:ticket_unwatch", args=[ticket.pk])).status_code == 302
    assert not ticket.watchers.exists()


def test_logging_a_call_on_the_page(client, admin):
    ticket = new_ticket(admin, owner=admin, contact=PersonFactory(company=CompanyFactory()))
    client.force_login(admin)
    url = reverse("support:ticket_call", args=[ticket.pk])
    assert (
        client.post(url, {"direction": "outbound", "duration_minutes": "-1", "outcome": "x"}).status_code
        == 400
    )
    response = client.post(url, {"direction": "outbound", "duration_minutes": "4", "outcome": "Solved"})
    assert response.status_code == 302
    text = client.get(reverse("support:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Outbound call on ticket" in text and "Solved" in text


def test_the_company_and_person_cards_list_their_visible_tickets(client, rep, restricted):
    company = CompanyFactory(owner=None)
    person = PersonFactory(company=company, owner=None)
    new_ticket(rep, subject="Visible one", company=company, contact=person, owner=restricted)
    new_ticket(rep, subject="Hidden one", company=company, contact=person, owner=rep)
    client.force_login(restricted)
    for url in (
        reverse("contacts:company_detail", args=[company.pk]),
        reverse("contacts:person_detail", args=[person.pk]),
    ):
        text = client.get(url).content.decode()
        assert 'data-testid="tickets-panel"' in text
        assert "Visible one" in text and "Hidden one" not in text


def test_callbacks_list_the_agents_open_call_todos(client, admin):
    ticket = new_ticket(admin, owner=admin, contact=PersonFactory(company=CompanyFactory()))
    services.call_log(
        actor=admin, ticket=ticket, direction="inbound", duration_minutes=2, outcome="Later",
        callback_at=timezone.now() + datetime.timedelta(hours=1),
    )  # fmt: skip
    client.force_login(admin)
    text = client.get(reverse("support:callbacks")).content.decode()
    assert text.count('data-testid="callback-row"') == 1


@pytest.mark.parametrize("persona", ["admin", "manager", "rep", "rep_other_team", "restricted"])
def test_every_view_of_the_queue_lists_exactly_the_tickets_the_persona_sees(client, personas, persona):
    import re

    from support.selectors import VIEWS
    from tests.support.tickets.records import tickets_by_owner

    tickets = tickets_by_owner(personas)
    user = getattr(personas, persona)
    visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
    assert visible
    if persona == "restricted":  # a narrowed view: the check below can tell
        assert visible != {ticket.pk for ticket in tickets.values()}
    client.force_login(user)
    link = re.compile(r'href="/support/tickets/(\d+)/"')
    for view in VIEWS:
        for status in ("", "closed"):
            response = client.get(reverse("support:ticket_list"), {"view": view, "status": status})
            shown = {int(pk) for pk in link.findall(response.content.decode())}
            assert shown <= visible, (view, status)
    shown = {
        int(pk)
        for pk in link.findall(client.get(reverse("support:ticket_list"), {"view": "all"}).content.decode())
    }
    assert shown == visible


def test_a_long_conversation_shows_the_newest_messages_and_pages_back(client, admin):
    from support.models import TicketMessage
    from support.selectors import CONVERSATION_ROWS

    ticket = new_ticket(admin, owner=admin)
    start = timezone.now() - datetime.timedelta(days=1)
    TicketMessage.objects.bulk_create(
        TicketMessage(
            ticket=ticket,
            kind="note",
            author=admin,
            body=f"Message number {number:03d}",
            created_at=start + datetime.timedelta(minutes=number),
        )
        for number in range(CONVERSATION_ROWS + 5)
    )
    client.force_login(admin)
    url = reverse("support:ticket_detail", args=[ticket.pk])
    text = client.get(url).content.decode()
    assert f"Message number {CONVERSATION_ROWS + 4:03d}" in text and "Message number 005" in text
    assert "Message number 004" not in text
    assert text.index("Message number 005") < text.index("Message number 006")  # oldest first
    assert 'data-testid="earlier-messages"' in text
    text = client.get(url, {"earlier": "1"}).content.decode()
    assert "Message number 000" in text and "Message number 004" in text and "Message number 005" not in text
    assert 'data-testid="earlier-messages"' not in text
    for bad in ("-1", "abc", "99999999999", "7"):
        assert client.get(url, {"earlier": bad}).status_code == 200
