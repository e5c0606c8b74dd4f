"""The SLA breach scan (support.sla.breaches_escalate, run by beat every minute): each breach is
escalated once — marked, priority one step up, the managers mailed — even by two scans at once;
a ticket waiting on the customer is not breached."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import AuditEvent, OutboundEmail
from support import services, sla
from support.models import Queue, Ticket
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def breaching(*, priority="normal", status=None, owner=None, queue=None, minutes_late=5, **values) -> Ticket:
    """A ticket whose first-response and resolution due times passed `minutes_late` ago."""
    ticket = services.ticket_create(
        actor=None,
        values={"subject": "Printer on fire", "priority": priority, "owner": owner, "queue": queue, **values},
    )
    past = timezone.now() - datetime.timedelta(minutes=minutes_late)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=past, resolution_due_at=past)
    if status:
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


def breach_mails():
    return OutboundEmail.objects.filter(dedupe_key__startswith="support-breach:")


def test_a_breach_is_marked_bumped_one_step_audited_and_mailed_to_the_team_managers(personas):
    team_lead = UserFactory(email="lead@example.com")
    personas.north.managers.add(team_lead)
    queue = Queue.objects.create(name="North desk", team=personas.north)
    ticket = breaching(owner=personas.rep, queue=queue)
    due_before = (ticket.first_response_due_at, ticket.resolution_due_at)

    counts = sla.breaches_escalate()

    ticket.refresh_from_db()
    assert counts == {"first_response": 1, "resolution": 1}
    assert ticket.first_response_breached_at is not None and ticket.resolution_breached_at is not None
    # Two breaches, each one step: normal → high → urgent; the due times stay as promised.
    assert ticket.priority == "urgent"
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == due_before
    mails = list(breach_mails().order_by("pk"))
    assert [mail.dedupe_key for mail in mails] == [
        f"support-breach:first_response:{ticket.pk}",
        f"support-breach:resolution:{ticket.pk}",
    ]
    assert all(set(mail.recipients) == {personas.manager.email, "lead@example.com"} for mail in mails)
    assert f"#{ticket.pk}" in mails[0].subject
    assert AuditEvent.objects.filter(verb__startswith="sla_breach_", object_id=str(ticket.pk)).count() == 2


def test_a_second_scan_escalates_nothing_again(personas):
    ticket = breaching(owner=personas.rep)
    sla.breaches_escalate()
    ticket.refresh_from_db()
    priority, mails = ticket.priority, breach_mails().count()

    assert sla.breaches_escalate() == {"first_response": 0, "resolution": 0}

    ticket.refresh_from_db()
    assert ticket.priority == priority and breach_mails().count() == mails


def test_urgent_stays_urgent_and_a_mail_goes_to_the_assignees_team_managers(personas):
    # No queue team: the assignee's team (North, managed by the manager) is escalated to.
    ticket = breaching(priority="urgent", owner=personas.rep)
    sla.breaches_escalate()
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert {tuple(mail.recipients) for mail in breach_mails()} == {(personas.manager.email,)}


def test_only_passed_due_times_of_running_tickets_breach(personas):
    waiting = breaching(status=Ticket.Status.WAITING, owner=personas.rep)
    resolved = breaching(status=Ticket.Status.RESOLVED, owner=personas.rep)
    in_time = breaching(minutes_late=-30, owner=personas.rep)
    answered = breaching(owner=personas.rep)
    Ticket.objects.filter(pk=answered.pk).update(
        first_responded_at=timezone.now(), resolution_due_at=timezone.now() + datetime.timedelta(hours=1)
    )

    assert sla.breaches_escalate() == {"first_response": 0, "resolution": 0}

    for ticket in (waiting, resolved, in_time, answered):
        ticket.refresh_from_db()
        assert ticket.first_response_breached_at is None and ticket.resolution_breached_at is None
    assert not breach_mails().exists()


def test_a_ticket_waiting_on_the_customer_breaches_only_after_it_runs_again_and_its_time_passes(personas):
    ticket = breaching(status=Ticket.Status.WAITING, owner=personas.rep, minutes_late=1)
    sla.breaches_escalate()
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.OPEN)
    assert sla.breaches_escalate()["resolution"] == 1


def test_nobody_to_mail_still_marks_the_breach():
    ticket = breaching()  # no owner, no team
    sla.breaches_escalate()
    ticket.refresh_from_db()
    assert ticket.resolution_breached_at is not None and not breach_mails().exists()


def test_batches_cover_every_breach(personas):
    tickets = [breaching(owner=personas.rep) for _ in range(5)]
    assert sla.breaches_escalate(batch=2) == {"first_response": 5, "resolution": 5}
    assert (
        Ticket.objects.filter(pk__in=[t.pk for t in tickets], resolution_breached_at__isnull=True).count()
        == 0
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_scans_at_once_escalate_each_breach_exactly_once():
    """Two threads, each with its own PostgreSQL connection, scan together: every breach is
    marked, bumped and mailed once between them."""
    team = TeamFactory()
    team.managers.add(UserFactory(email="boss@example.com"))
    queue = Queue.objects.create(name="Race desk", team=team)
    tickets = [breaching(priority="low", queue=queue) for _ in range(60)]
    start = threading.Barrier(2)
    results, errors = [], []

    def beat():
        try:
            start.wait()
            results.append(sla.breaches_escalate(batch=7))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result["first_response"] for result in results) == 60
    assert sum(result["resolution"] for result in results) == 60
    priorities = set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("priority", flat=True))
    assert priorities == {"high"}  # low → normal → high: two breaches, one step each, never more
    assert breach_mails().count() == 120
    assert AuditEvent.objects.filter(verb__startswith="sla_breach_").count() == 120


def test_a_mail_queued_by_an_interrupted_attempt_is_not_queued_twice(personas):
    first, second = breaching(owner=personas.rep), breaching(owner=personas.rep)
    OutboundEmail.objects.create(
        recipients=["x@example.com"],
        subject="Earlier",
        body_text="-",
        dedupe_key=f"support-breach:first_response:{first.pk}",
    )

    sla.breaches_escalate()

    keys = list(breach_mails().values_list("dedupe_key", flat=True))
    assert sorted(keys) == sorted(
        f"support-breach:{kind}:{ticket.pk}"
        for kind in ("first_response", "resolution")
        for ticket in (first, second)
    )
    assert breach_mails().get(dedupe_key=f"support-breach:first_response:{first.pk}").subject == "Earlier"
