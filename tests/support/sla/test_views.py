"""The set-up pages (queues, SLA policies with targets and holidays), contracts, the workload
board and the reports, through the client: who may open them, what they save, and bad input
answered on the form with nothing saved."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from support import services, setup, tasks
from support.models import Contract, Holiday, Queue, SlaPolicy, SlaTarget, Ticket
from tests.factories import CompanyFactory, UserFactory
from tests.support.sla.records import make_contract

pytestmark = pytest.mark.django_db


def policy_post(name="Premium", *, targets=None, holidays=(), **fields) -> dict:
    """The policy form's POST: one target row per priority (urgent first) and holiday rows."""
    targets = targets or {"urgent": (30, 240), "high": (60, 480), "normal": (120, 960), "low": ("", "")}
    data = {
        "name": name,
        "time_zone": "Europe/Stockholm",
        "targets-TOTAL_FORMS": "4",
        "targets-INITIAL_FORMS": "4",
        "targets-MIN_NUM_FORMS": "4",
        "targets-MAX_NUM_FORMS": "4",
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "366",
        **fields,
    }
    for index, (priority, (first, resolution)) in enumerate(targets.items()):
        data[f"targets-{index}-priority"] = priority
        data[f"targets-{index}-first_response_minutes"] = first
        data[f"targets-{index}-resolution_minutes"] = resolution
    for index, (day, label) in enumerate(holidays):
        data[f"holidays-{index}-date"] = day
        data[f"holidays-{index}-name"] = label
    return data


# -- Who may open what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["support_setup:queue_list", "support_setup:policy_list", "support_setup:contract_create"]
)
def test_set_up_is_for_managers_and_administrators(client, personas, name):
    for persona, status in [("admin", 200), ("manager", 200), ("rep", 403), ("restricted", 403)]:
        client.force_login(getattr(personas, persona))
        assert client.get(reverse(name)).status_code == status, persona


def test_reports_need_the_report_permission(client, personas):
    for persona, status in [("admin", 200), ("manager", 200), ("rep", 403), ("restricted", 403)]:
        client.force_login(getattr(personas, persona))
        assert client.get(reverse("support_setup:report")).status_code == status, persona


# -- Queues ---------------------------------------------------------------------------------------


def test_a_manager_creates_a_queue(client, manager, personas):
    client.force_login(manager)
    response = client.post(
        reverse("support_setup:queue_create"),
        {"name": "Hardware", "team": personas.north.pk, "assignment": "round_robin", "is_active": "on"},
    )
    assert response.status_code == 302
    queue = Queue.objects.get(name="Hardware")
    assert queue.team == personas.north and queue.assignment == "round_robin" and not queue.is_default


def test_a_second_default_queue_is_a_form_error_and_nothing_is_saved(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("support_setup:queue_create"),
        {"name": "Second", "assignment": "manual", "is_default": "on", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "is the default queue" in response.content.decode()
    assert not Queue.objects.filter(name="Second").exists()


# -- Policies -------------------------------------------------------------------------------------


def test_a_policy_is_saved_with_its_targets_and_holidays(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("support_setup:policy_create"),
        policy_post(
            uses_business_hours="on",
            working_days=["1", "2", "3", "4", "5"],
            day_starts="08:00",
            day_ends="16:00",
            holidays=[("2026-12-24", "Christmas Eve"), ("2026-12-25", "")],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Premium")
    assert policy.working_days == [1, 2, 3, 4, 5] and policy.day_ends == datetime.time(16)
    assert dict(policy.targets.values_list("priority", "first_response_minutes")) == {
        "urgent": 30,
        "high": 60,
        "normal": 120,
    }
    assert sorted(policy.holidays.values_list("name", flat=True)) == ["", "Christmas Eve"]

    # Edited: a target removed, a holiday ticked off.
    data = policy_post(
        targets={"urgent": (15, 120), "high": ("", ""), "normal": (120, 960), "low": (600, 6000)},
        holidays=[("2026-12-24", "Christmas Eve")],
    )
    response = client.post(reverse("support_setup:policy_update", args=[policy.pk]), data)
    assert response.status_code == 302
    assert set(policy.targets.values_list("priority", flat=True)) == {"urgent", "normal", "low"}
    assert list(policy.holidays.values_list("name", flat=True)) == ["Christmas Eve"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"targets": {"urgent": (30, ""), "high": (1, 2), "normal": (1, 2), "low": (1, 2)}},
            "Give both targets",
        ),
        (
            {"targets": {"urgent": (300, 30), "high": (1, 2), "normal": (1, 2), "low": (1, 2)}},
            "cannot come before",
        ),
        (
            {"targets": {"urgent": (-1, 30), "high": (1, 2), "normal": (1, 2), "low": (1, 2)}},
            "greater than or equal",
        ),
        ({"holidays": [("2026-12-24", "A"), ("2026-12-24", "B")]}, "Each holiday date only once"),
        ({"holidays": [("not a date", "A")]}, "Enter a valid date"),
        (
            {"uses_business_hours": "on", "working_days": ["1"], "day_starts": "17:00", "day_ends": "08:00"},
            "ends after",
        ),
        (
            {"uses_business_hours": "on", "day_starts": "08:00", "day_ends": "17:00"},
            "Choose the working days",
        ),
        ({"is_default": "on"}, "is the default policy"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
    ],
)
def test_bad_policy_input_is_answered_on_the_form_and_nothing_is_saved(client, manager, change, message):
    client.force_login(manager)
    targets = change.pop("targets", None)
    holidays = change.pop("holidays", ())
    response = client.post(
        reverse("support_setup:policy_create"), policy_post(targets=targets, holidays=holidays, **change)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SlaPolicy.objects.filter(name="Premium").exists()
    assert not SlaTarget.objects.filter(policy__name="Premium").exists()
    assert not Holiday.objects.exists()


def test_a_changed_policy_keeps_open_tickets_due_times_until_recomputed(
    client, manager, monkeypatch, django_capture_on_commit_callbacks
):
    policy = SlaPolicy.objects.get(is_default=True)
    ticket = services.ticket_create(actor=manager, values={"subject": "Slow", "priority": "urgent"})
    before = ticket.first_response_due_at
    client.force_login(manager)
    data = policy_post(
        policy.name,
        targets={"urgent": (5, 60), "high": (240, 1080), "normal": (540, 2700), "low": (1080, 5400)},
        is_default="on",
    )
    assert client.post(reverse("support_setup:policy_update", args=[policy.pk]), data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == before  # the promise stands

    monkeypatch.setattr(tasks.policy_recompute_open_tickets, "delay", tasks.policy_recompute_open_tickets)
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(
                reverse("support_setup:policy_update", args=[policy.pk]), {"recompute": "1"}
            )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_due_at < before


def test_recompute_covers_every_open_ticket_of_the_policy_in_batches(admin):
    policy = SlaPolicy.objects.get(is_default=True)
    tickets = [services.ticket_create(actor=admin, values={"subject": f"T{n}"}) for n in range(5)]
    closed = tickets[0]
    services.ticket_set_status(actor=admin, ticket=closed, status=Ticket.Status.CLOSED)
    Ticket.objects.update(first_response_due_at=None)
    assert setup.policy_recompute_open_tickets(policy_id=policy.pk, batch=2) == 4
    assert Ticket.objects.filter(first_response_due_at__isnull=True).get() == closed


# -- Contracts ------------------------------------------------------------------------------------


def test_a_manager_files_a_contract_for_a_company(client, manager):
    company = CompanyFactory(owner=manager)
    client.force_login(manager)
    page = client.get(reverse("support_setup:contract_create") + f"?company={company.pk}")
    assert page.status_code == 200 and company.name in page.content.decode()
    response = client.post(
        reverse("support_setup:contract_create"),
        {
            "company": company.pk,
            "kind": "warranty",
            "name": "Scanner warranty",
            "starts_on": "2026-01-01",
            "ends_on": "2027-12-31",
            "sla_policy": SlaPolicy.objects.get(is_default=True).pk,
            "remind_days": 30,
            "owner": manager.pk,
        },
    )
    contract = Contract.objects.get(name="Scanner warranty")
    assert response.status_code == 302 and response["Location"] == reverse(
        "support_setup:contract_detail", args=[contract.pk]
    )
    assert contract.company == company and contract.kind == "warranty"
    card = client.get(company.get_absolute_url()).content.decode()
    assert "Scanner warranty" in card


def test_bad_contract_input_is_answered_on_the_form(client, manager, rep_other_team):
    hidden = CompanyFactory(owner=rep_other_team)
    client.force_login(manager)
    from crm.models import OrganisationSettings

    settings_row = OrganisationSettings.load()
    settings_row.managers_see_only_their_teams = True
    settings_row.save()
    base = {
        "company": hidden.pk,
        "kind": "contract",
        "name": "Bad",
        "starts_on": "2026-05-01",
        "ends_on": "2026-01-01",
        "sla_policy": SlaPolicy.objects.get(is_default=True).pk,
        "remind_days": 400,
    }
    response = client.post(reverse("support_setup:contract_create"), base)
    text = response.content.decode()
    assert response.status_code == 200
    assert "The end comes before the start" in text and "Select a valid choice" in text
    assert "less than or equal to 365" in text
    assert not Contract.objects.exists()


def test_the_list_filters_contracts_ending_soon_and_hides_a_hidden_companys_name(
    client, personas, reps_see_only_own
):
    rep = personas.rep
    mine = CompanyFactory(owner=rep, name="Visible Customer")
    theirs = CompanyFactory(owner=personas.rep_other_team, name="Secret Customer")
    make_contract(personas.admin, company=mine, name="Ends soon", ends_in=10, owner=rep)
    make_contract(personas.admin, company=theirs, name="Ends later", ends_in=200, owner=rep)
    make_contract(personas.admin, company=mine, name="Ended", ends_in=-5, owner=rep)
    make_contract(personas.admin, company=mine, name="Not mine", ends_in=10, owner=personas.rep_other_team)
    client.force_login(rep)

    text = client.get(reverse("support_setup:contract_list")).content.decode()
    assert "Ends soon" in text and "Ends later" in text
    assert "Ended" not in text.replace("Ends", "") and "Not mine" not in text
    assert "Secret Customer" not in text and "Visible Customer" in text

    soon = client.get(reverse("support_setup:contract_list") + "?expiring=30").content.decode()
    assert "Ends soon" in soon and "Ends later" not in soon

    with_ended = client.get(reverse("support_setup:contract_list") + "?include_ended=on").content.decode()
    assert ">Ended<" in with_ended


def test_a_rep_cannot_edit_a_contract_and_a_hidden_one_is_not_there(client, personas, reps_see_only_own):
    company = CompanyFactory(owner=personas.rep)
    own = make_contract(personas.admin, company=company, name="Own", owner=personas.rep)
    other = make_contract(personas.admin, company=company, name="Other", owner=personas.rep_other_team)
    client.force_login(personas.rep)
    assert client.get(reverse("support_setup:contract_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("support_setup:contract_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("support_setup:contract_update", args=[own.pk])).status_code == 403


# -- Workload -------------------------------------------------------------------------------------


def test_the_workload_board_counts_each_agents_open_overdue_and_due_today(client, personas):
    rep, manager = personas.rep, personas.manager
    now = timezone.now()
    made = [
        services.ticket_create(actor=manager, values={"subject": f"W{n}", "owner": rep}) for n in range(4)
    ]
    Ticket.objects.filter(pk=made[0].pk).update(resolution_due_at=now - datetime.timedelta(hours=1))
    Ticket.objects.filter(pk=made[1].pk).update(
        resolution_due_at=now + datetime.timedelta(minutes=1),
        first_response_due_at=now + datetime.timedelta(days=9),
    )
    Ticket.objects.filter(pk=made[2].pk).update(status=Ticket.Status.RESOLVED)
    Ticket.objects.filter(pk=made[3].pk).update(
        resolution_due_at=now + datetime.timedelta(days=3),
        first_response_due_at=now + datetime.timedelta(days=3),
    )
    client.force_login(manager)
    response = client.get(reverse("support_setup:workload"))
    load = next(load for load in response.context["loads"] if load.agent == rep)
    assert (load.open, load.overdue, load.due_today) == (3, 1, 1)
    assert load.next_due == now + datetime.timedelta(minutes=1)


def test_the_workload_board_runs_the_same_queries_for_one_agent_or_many(client, personas):
    client.force_login(personas.admin)
    url = reverse("support_setup:workload")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(8):
        agent = UserFactory()
        personas.north.members.add(agent)
        services.ticket_create(actor=personas.admin, values={"subject": f"A{number}", "owner": agent})
    client.get(url)  # the session and user caches refill once after new users
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["loads"]) > 10
    assert len(many) == len(few)


# -- Reports --------------------------------------------------------------------------------------


def test_the_report_shows_compliance_medians_and_the_backlog(client, personas):
    admin = personas.admin
    now = timezone.now()
    tickets = [
        services.ticket_create(actor=admin, values={"subject": f"R{n}", "owner": personas.rep})
        for n in range(4)
    ]
    due = now + datetime.timedelta(hours=2)
    created = now - datetime.timedelta(hours=1)
    # Answered after 10 and 30 minutes (both within), one answered late, one not yet and not due.
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        created_at=created,
        first_response_due_at=created + datetime.timedelta(minutes=20),
        resolution_due_at=due,
    )
    Ticket.objects.filter(pk=tickets[0].pk).update(
        first_responded_at=created + datetime.timedelta(minutes=10)
    )
    Ticket.objects.filter(pk=tickets[1].pk).update(
        first_responded_at=created + datetime.timedelta(minutes=15)
    )
    Ticket.objects.filter(pk=tickets[2].pk).update(
        first_responded_at=created + datetime.timedelta(minutes=50),
        resolved_at=created + datetime.timedelta(minutes=50),
        status=Ticket.Status.RESOLVED,
    )
    Ticket.objects.filter(pk=tickets[3].pk).update(first_response_due_at=now + datetime.timedelta(hours=1))
    client.force_login(admin)

    response = client.get(reverse("support_setup:report") + "?by=agent")
    row = next(row for row in response.context["rows"] if row.label == str(personas.rep))
    assert (row.tickets, row.responded_measured, row.responded_in_time) == (4, 3, 2)
    assert row.response_share == 66.7
    assert row.first_response_median == pytest.approx(15)
    assert (row.resolved_measured, row.resolved_in_time, row.resolution_median) == (1, 1, pytest.approx(50))
    backlog = response.context["backlog"]
    assert len(backlog.days) == 90 and backlog.last == 3 and "<polyline" in response.content.decode()

    assert client.get(reverse("support_setup:report") + "?by=queue").status_code == 200
    assert client.get(reverse("support_setup:report") + "?since=2026-02-30&by=nonsense").status_code == 200


def test_a_rep_granted_reports_sees_only_their_own_figures(client, personas):
    from django.contrib.auth.models import Permission

    rep = personas.rep
    rep.user_permissions.add(Permission.objects.get(codename="view_reports"))
    services.ticket_create(actor=rep, values={"subject": "Mine", "owner": rep})
    services.ticket_create(actor=rep, values={"subject": "Theirs", "owner": personas.rep_other_team})
    client.force_login(rep)
    response = client.get(reverse("support_setup:report") + "?by=agent")
    assert [row.label for row in response.context["rows"]] == [str(rep)]
