"""Ticket services of the agents' part: merging duplicates, watchers and @mentions mailed, and
logging calls as activities."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from activities.models import Activity
from crm.documents import document_attach, documents_of
from crm.models import OutboundEmail
from support import selectors, services
from support.models import Ticket, TicketMessage
from tests.factories import CompanyFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def new_ticket(actor, **values):
    return services.ticket_create(actor=actor, values={"subject": "Scanner jams", **values})


def test_merging_moves_messages_watchers_and_documents_and_closes_the_duplicate(admin, rep, media_root):
    person = PersonFactory(email="kim@example.com")
    survivor, duplicate = new_ticket(admin, contact=person), new_ticket(admin, contact=person)
    services.ticket_customer_message(ticket=duplicate, body="Also the lamp", person=person)
    duplicate.watchers.add(rep)
    document_attach(
        actor=admin,
        record=duplicate,
        uploaded_file=SimpleUploadedFile("log.txt", b"jam", content_type="text/plain"),
    )

    services.ticket_merge(actor=admin, survivor=survivor, duplicate=duplicate)

    duplicate.refresh_from_db()
    assert duplicate.status == Ticket.Status.CLOSED
    assert duplicate.merged_into_id == survivor.pk
    assert survivor.messages.filter(kind="customer", body="Also the lamp").exists()
    assert list(survivor.watchers.all()) == [rep]
    assert [document.name for document in documents_of(survivor)] == ["log.txt"]
    assert survivor.messages.filter(kind="note", body__contains=duplicate.number).exists()
    assert duplicate.messages.filter(kind="note", body__contains=survivor.number).exists()


def test_a_ticket_cannot_be_merged_into_itself_or_twice(admin):
    survivor, duplicate, other = new_ticket(admin), new_ticket(admin), new_ticket(admin)
    with pytest.raises(ValidationError):
        services.ticket_merge(actor=admin, survivor=survivor, duplicate=survivor)
    services.ticket_merge(actor=admin, survivor=survivor, duplicate=duplicate)
    with pytest.raises(ValidationError):
        services.ticket_merge(actor=admin, survivor=other, duplicate=duplicate)
    with pytest.raises(ValidationError):
        services.ticket_merge(actor=admin, survivor=duplicate, duplicate=other)
    assert other.messages.count() == 0


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@ann please look", ["ann"]),
        ("ask @bo.berg and @ann, then @ann again", ["bo.berg", "ann"]),
        ("mail ann@example.com", []),
        ("no mention here", []),
    ],
)
def test_mentions_are_read_from_a_note(body, names):
    assert services.mentioned_usernames(body) == names


def test_a_note_mails_the_mentioned_colleagues_who_see_the_ticket(admin, rep, restricted):
    ticket = new_ticket(admin, owner=admin)
    services.ticket_note(actor=admin, ticket=ticket, body=f"@{rep.username} and @{restricted.username}: look")
    recipients = [mail.recipients for mail in OutboundEmail.objects.all()]
    # The restricted user does not see the admin's ticket: no mail names it to them.
    assert recipients == [[rep.email]]


def test_watchers_are_mailed_on_customer_messages_and_replies_but_not_on_notes(admin, rep):
    ticket = new_ticket(admin, owner=admin, requester_email="cust@example.com")
    services.ticket_watch(actor=rep, ticket=ticket, user=rep)
    services.ticket_customer_message(ticket=ticket, body="Hello?", email="cust@example.com")
    services.ticket_reply(actor=admin, ticket=ticket, body="Hi!")
    services.ticket_note(actor=admin, ticket=ticket, body="Internal")
    to_rep = OutboundEmail.objects.filter(recipients=[rep.email])
    assert to_rep.count() == 2
    assert "Internal" not in " ".join(to_rep.values_list("body_text", flat=True))


def test_the_author_of_a_reply_is_not_mailed_as_a_watcher(admin):
    ticket = new_ticket(admin, owner=admin)
    ticket.watchers.add(admin)
    services.ticket_reply(actor=admin, ticket=ticket, body="Done")
    assert not OutboundEmail.objects.filter(recipients=[admin.email]).exists()


def test_one_cannot_add_a_watcher_who_cannot_see_the_ticket(admin, restricted):
    ticket = new_ticket(admin, owner=admin)
    with pytest.raises(ValidationError):
        services.ticket_watch(actor=admin, ticket=ticket, user=restricted)
    assert not ticket.watchers.exists()


def test_a_call_is_logged_as_a_done_phone_call_with_an_optional_callback(admin):
    person = PersonFactory(company=CompanyFactory())
    ticket = new_ticket(admin, contact=person, owner=admin)
    later = timezone.now() + datetime.timedelta(hours=3)
    call, callback = services.call_log(
        actor=admin,
        ticket=ticket,
        direction="inbound",
        duration_minutes=7,
        outcome="Explained the reset",
        callback_at=later,
    )
    assert (call.status, call.duration_minutes, call.outcome) == ("done", 7, "Explained the reset")
    assert (call.person, call.company_id) == (person, person.company_id)
    assert call.activity_type.name == "Phone call"
    assert callback.status == "open" and callback.due_at == later
    assert list(selectors.callbacks(user=admin)) == [callback]
    assert [c.pk for c in selectors.ticket_calls(ticket, admin)] == [call.pk]


def test_a_call_needs_a_customer_and_a_direction(admin):
    with pytest.raises(ValidationError):
        services.call_log(actor=admin, ticket=new_ticket(admin), direction="inbound", duration_minutes=1)
    with pytest.raises(ValidationError):
        services.call_log(actor=admin, company=CompanyFactory(), direction="sideways", duration_minutes=1)
    assert not Activity.objects.exists()


def test_breaching_soon_lists_open_tickets_due_within_two_hours_or_overdue(admin):
    now = timezone.now()
    due = {
        "overdue": now - datetime.timedelta(minutes=5),
        "soon": now + datetime.timedelta(minutes=90),
        "later": now + datetime.timedelta(hours=5),
    }
    tickets = {}
    for name, when in due.items():
        ticket = new_ticket(admin, subject=name)
        Ticket.objects.filter(pk=ticket.pk).update(
            resolution_due_at=when, first_response_due_at=now + datetime.timedelta(days=1)
        )
        tickets[name] = ticket
    waiting = new_ticket(admin, subject="waiting")
    Ticket.objects.filter(pk=waiting.pk).update(status="waiting", resolution_due_at=due["overdue"])
    first = new_ticket(admin, subject="first response")
    Ticket.objects.filter(pk=first.pk).update(
        first_response_due_at=due["soon"], resolution_due_at=now + datetime.timedelta(days=2)
    )
    listed = [t.subject for t in selectors.ticket_list(user=admin, view="breaching")]
    assert listed == ["overdue", "soon", "first response"]


def test_my_open_and_unassigned_views(admin, rep):
    mine = new_ticket(rep, owner=rep)
    new_ticket(admin, owner=admin)
    nobody = new_ticket(admin)
    closed = new_ticket(rep, owner=rep)
    services.ticket_set_status(actor=rep, ticket=closed, status="closed")
    assert list(selectors.ticket_list(user=rep, view="mine")) == [mine]
    assert list(selectors.ticket_list(user=rep, view="unassigned")) == [nobody]
    assert closed in selectors.ticket_list(user=rep, view="all")


def test_the_message_kinds_exist():
    assert set(TicketMessage.Kind.values) == {"customer", "reply", "note"}


def test_only_active_users_are_mentioned(admin):
    gone = UserFactory(username="gone", is_active=False)
    ticket = new_ticket(admin, owner=admin)
    services.ticket_note(actor=admin, ticket=ticket, body="@gone")
    assert not OutboundEmail.objects.filter(recipients=[gone.email]).exists()
