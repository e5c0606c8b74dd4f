"""The support core (issue 15): SLA clocks in business hours with holidays and pauses, the policy
a ticket takes from its company's contract, assignment rules, and the conversation's effects."""

import datetime
import zoneinfo

import pytest
from django.core import mail

from crm.exceptions import StaleRecordError
from support import assignment, services, sla
from support.models import Contract, Holiday, Queue, SlaPolicy, SlaTarget, Ticket, TicketMessage
from tests.factories import CompanyFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in December 2026 in Stockholm (1 December is a Tuesday)."""
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=STOCKHOLM)


@pytest.fixture
def office_hours():
    """The default policy of the migration: Monday to Friday, 8 to 17, Stockholm."""
    return SlaPolicy.objects.get(is_default=True)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (at(1, 9), 60, at(1, 10)),  # inside the day
        (at(1, 16, 30), 60, at(2, 8, 30)),  # runs over the evening
        (at(1, 6), 30, at(1, 8, 30)),  # before opening: counts from 8
        (at(1, 20), 30, at(2, 8, 30)),  # after closing: the next morning
        (at(4, 16), 120, at(7, 9)),  # Friday afternoon to Monday morning
        (at(5, 12), 60, at(7, 9)),  # a Saturday
        (at(1, 9), 540 * 2, at(3, 9)),  # two whole days
    ],
)
def test_business_minutes_are_added_on_working_days_between_opening_and_closing(
    office_hours, start, minutes, due
):
    assert sla.Clock(office_hours).add(start, minutes) == due
    assert sla.Clock(office_hours).minutes_between(start, due) == minutes


def test_a_holiday_is_skipped(office_hours):
    Holiday.objects.create(policy=office_hours, date=datetime.date(2026, 12, 2), name="Closed")
    assert sla.Clock(office_hours).add(at(1, 16), 120) == at(3, 9)


def test_a_round_the_clock_policy_counts_every_minute():
    policy = SlaPolicy.objects.create(name="24/7")
    assert sla.Clock(policy).add(at(5, 23), 120) == at(6, 1)


def test_a_ticket_takes_the_policy_of_its_companys_active_contract_else_the_default(office_hours, admin):
    premium = SlaPolicy.objects.create(name="Premium")
    SlaTarget.objects.create(
        policy=premium, priority="normal", first_response_minutes=30, resolution_minutes=240
    )
    company, other = CompanyFactory(), CompanyFactory()
    today = datetime.date.today()
    Contract.objects.create(
        company=company,
        name="Gold",
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=30),
        sla_policy=premium,
    )
    Contract.objects.create(
        company=other,
        name="Ended",
        starts_on=today - datetime.timedelta(days=60),
        ends_on=today - datetime.timedelta(days=1),
        sla_policy=premium,
    )
    covered = services.ticket_create(actor=admin, values={"subject": "Broken", "company": company})
    uncovered = services.ticket_create(actor=admin, values={"subject": "Broken", "company": other})
    assert covered.sla_policy == premium and uncovered.sla_policy == office_hours
    assert covered.first_response_due_at == covered.created_at + datetime.timedelta(minutes=30)
    assert covered.resolution_due_at == covered.created_at + datetime.timedelta(minutes=240)


def test_waiting_on_the_customer_moves_the_resolution_due_time_by_the_wait(admin, monkeypatch):
    policy = SlaPolicy.objects.create(name="Clock")
    SlaTarget.objects.create(
        policy=policy, priority="normal", first_response_minutes=60, resolution_minutes=600
    )
    SlaPolicy.objects.filter(is_default=True).update(is_default=False)
    SlaPolicy.objects.filter(pk=policy.pk).update(is_default=True)
    ticket = services.ticket_create(actor=admin, values={"subject": "Slow"})
    due = ticket.resolution_due_at
    now = ticket.created_at
    monkeypatch.setattr("django.utils.timezone.now", lambda: now + datetime.timedelta(minutes=10))
    ticket = services.ticket_set_status(actor=admin, ticket=ticket, status=Ticket.Status.WAITING)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now + datetime.timedelta(minutes=100))
    ticket = services.ticket_set_status(actor=admin, ticket=ticket, status=Ticket.Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.paused_minutes == 90 and ticket.paused_at is None
    assert ticket.resolution_due_at == due + datetime.timedelta(minutes=90)


def test_a_higher_priority_brings_the_due_times_forward(admin):
    ticket = services.ticket_create(actor=admin, values={"subject": "Down"})
    updated = services.ticket_update(
        actor=admin, ticket=ticket, values={"priority": "urgent"}, version=ticket.version
    )
    assert updated.resolution_due_at < ticket.resolution_due_at
    with pytest.raises(StaleRecordError):
        services.ticket_update(actor=admin, ticket=ticket, values={"priority": "low"}, version=ticket.version)


def test_round_robin_takes_the_team_in_turn_and_least_loaded_the_freest():
    team = TeamFactory()
    first, second = UserFactory(), UserFactory()
    team.members.add(first, second)
    queue = Queue.objects.create(name="Helpdesk", team=team, assignment=Queue.Assignment.ROUND_ROBIN)
    made = [services.ticket_create(actor=None, values={"subject": f"T{n}", "queue": queue}) for n in range(3)]
    assert [ticket.owner for ticket in made] == [first, second, first]
    assert all(ticket.team_id == team.pk and ticket.status == Ticket.Status.OPEN for ticket in made)
    queue.assignment = Queue.Assignment.LEAST_LOADED
    queue.save()
    assert assignment.next_agent(queue) == second


def test_the_first_public_reply_is_the_first_response_and_is_mailed_with_the_tag(
    admin, django_capture_on_commit_callbacks
):
    contact = PersonFactory(email="kund@example.com")
    ticket = services.ticket_create(
        actor=None, values={"subject": "Help", "contact": contact, "channel": "portal"}
    )
    assert ticket.company_id == contact.company_id
    services.ticket_note(actor=admin, ticket=ticket, body="Looks like the scanner.")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(actor=admin, ticket=ticket, body="We are on it.", status=Ticket.Status.WAITING)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None and ticket.status == Ticket.Status.WAITING
    assert [m.to for m in mail.outbox] == [["kund@example.com"]]
    assert mail.outbox[0].subject == f"[#{ticket.pk}-{ticket.reply_key}] Help"
    assert "Looks like" not in mail.outbox[0].body
    assert list(TicketMessage.objects.public().values_list("kind", flat=True)) == ["reply"]


def test_the_customer_writing_opens_a_waiting_or_resolved_ticket_again(admin):
    ticket = services.ticket_create(actor=admin, values={"subject": "Again"})
    for status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
        services.ticket_set_status(actor=admin, ticket=ticket, status=status)
        services.ticket_customer_message(ticket=ticket, body="Still broken", email="kund@example.com")
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None


def test_an_empty_message_is_refused_and_nothing_is_saved(admin):
    ticket = services.ticket_create(actor=admin, values={"subject": "Quiet"})
    with pytest.raises(Exception, match="Write a message"):
        services.ticket_reply(actor=admin, ticket=ticket, body="  ")
    assert not TicketMessage.objects.exists()
