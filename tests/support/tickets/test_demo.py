"""The demo tickets (support.demo): every state, a conversation of every kind, dated back with
consistent clocks, no mail going out, and nothing added on a second run."""

import pytest
from django.db.models import Count, F, Q
from django.utils import timezone

from crm.models import OutboundEmail
from support.demo import demo_tickets_ensure
from support.models import Ticket, TicketMessage
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(personas):
    return {
        "admin": personas.admin,
        "manager": personas.manager,
        "rep": personas.rep,
        "rep2": personas.rep_other_team,
        "restricted": personas.restricted,
    }


def test_the_demo_tickets_cover_every_state_and_kind_of_message_once(users):
    for _ in range(6):
        company = CompanyFactory()
        PersonFactory(company=company)
        PersonFactory(company=company)
    count = demo_tickets_ensure(users=users, count=60)
    assert count == 62  # and the two duplicates, merged
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert tickets.filter(merged_into__isnull=False, status=Ticket.Status.CLOSED).count() == 2
    assert tickets.filter(owner__isnull=True, status=Ticket.Status.NEW).exists()
    assert set(TicketMessage.objects.values_list("kind", flat=True)) == set(TicketMessage.Kind.values)
    assert TicketMessage.objects.filter(kind="note", body__contains="@").exists()
    assert tickets.filter(watchers__isnull=False).exists()

    # Dated back: spread over weeks, never in the future, each clock after the ticket's creation.
    now = timezone.now()
    assert tickets.filter(created_at__lt=now - timezone.timedelta(days=14)).exists()
    assert not tickets.filter(created_at__gt=now).exists()
    assert not TicketMessage.objects.filter(created_at__gt=now).exists()
    assert not TicketMessage.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    assert not tickets.filter(
        Q(first_responded_at__lt=F("created_at"))
        | Q(resolved_at__lt=F("first_responded_at"))
        | Q(closed_at__lt=F("resolved_at"))
    ).exists()
    # A finished ticket was answered and resolved some time after it came in, not in the same second.
    finished = tickets.filter(status__in=["resolved", "closed"], merged_into__isnull=True)
    assert finished.exists()
    assert not finished.filter(resolved_at__lt=F("created_at") + timezone.timedelta(minutes=30)).exists()
    # The due times follow the dated creation.
    assert not tickets.filter(first_response_due_at__lte=F("created_at")).exists()
    # Replies are answered by messages of their own, and the reply mails count as sent.
    replied = tickets.annotate(replies=Count("messages", filter=Q(messages__kind="reply")))
    assert not replied.filter(replies__gt=0, first_responded_at__isnull=True).exists()
    assert OutboundEmail.objects.exists()
    assert not OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).exists()

    messages = TicketMessage.objects.count()
    assert demo_tickets_ensure(users=users, count=60) == 62
    assert Ticket.objects.count() == 62 and TicketMessage.objects.count() == messages
