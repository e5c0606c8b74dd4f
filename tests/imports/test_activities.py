"""Activity imports: past activities and open to-dos, linked to the records they name."""

import datetime

import pytest

from activities.models import Activity
from contacts.models import RequiredField
from crm import lookup_cache
from imports import services
from imports.models import ImportJob
from tests.factories import CompanyFactory, DealFactory, PersonFactory


@pytest.fixture(autouse=True)
def _relaxed(db):
    RequiredField.objects.update(is_required=False)
    lookup_cache.clear()


def _run(actor, text: str):
    job = services.job_create(actor=actor, kind="activities", data=text.encode(), file_name="a.csv")
    services.job_start(actor=actor, job=job)
    return services.job_run_here(job=ImportJob.objects.get(pk=job.pk))


def test_swedish_headings_are_guessed(manager):
    job = services.job_create(
        actor=manager,
        kind="activities",
        data="Typ;Ämne;Datum;Klar;Anteckningar\n".encode(),
        file_name="a.csv",
    )
    assert job.mapping == {"0": "kind", "1": "subject", "2": "due_at", "3": "status", "4": "notes"}


def test_past_activities_are_history_linked_to_their_records(manager):
    acme = CompanyFactory(name="Acme AB", owner=manager)
    anna = PersonFactory(
        first_name="Anna", last_name="Berg", email="anna@acme.se", company=acme, owner=manager
    )
    deal = DealFactory(name="Big one", company=acme, owner=manager)
    anna_before = type(anna).objects.get(pk=anna.pk).last_touched_at
    job = _run(
        manager,
        "Kind,Subject,Date,Done,Notes,Person,Deal,Company\n"
        "meeting,Kick-off,2021-03-04 10:30,yes,Went well,Anna Berg,,\n"
        "to-do,Call back,2030-01-02,no,,,Big one,\n"
        "call,Old call,2020-01-01,ja,,,,Acme AB\n",
    )
    assert job.created == 3 and job.rejected == 0, dict(job.rows.values_list("number", "message"))
    kickoff = Activity.objects.get(subject="Kick-off")
    assert kickoff.kind == "meeting" and kickoff.status == "done" and kickoff.notes == "Went well"
    assert kickoff.person == anna and kickoff.company == acme  # the company follows the person
    assert kickoff.done_at == kickoff.due_at and kickoff.due_at.date() == datetime.date(2021, 3, 4)
    call_back = Activity.objects.get(subject="Call back")
    assert call_back.status == "open" and call_back.deal == deal and call_back.done_at is None
    assert Activity.objects.get(subject="Old call").company == acme
    # History from the previous system does not touch the person "now".
    assert type(anna).objects.get(pk=anna.pk).last_touched_at == anna_before


def test_bad_cells_and_unknown_records_reject_the_row_naming_the_field(
    manager, rep_other_team, managers_see_only_their_teams
):
    hidden = rep_other_team
    PersonFactory(first_name="Hidden", last_name="Person", email="hidden@x.se", owner=hidden)
    job = _run(
        manager,
        "Kind,Subject,Date,Done,Person,Lead\n"
        "lunch,A,2021-01-01,yes,,\n"
        "to-do,B,31/31/2021,yes,,\n"
        "to-do,C,2021-01-01,maybe,,\n"
        "to-do,D,2021-01-01,yes,hidden@x.se,\n"
        "to-do,E,2021-01-01,yes,,nobody@x.se\n"
        "to-do,,2021-01-01,yes,,\n",
    )
    messages = dict(job.rows.values_list("number", "message"))
    assert job.rejected == 6 and job.created == 0 and not Activity.objects.exists(), messages
    assert "lunch" in messages[2] and "date" in messages[3] and "maybe" in messages[4]
    assert "hidden@x.se" in messages[5] and "nobody@x.se" in messages[6]
    assert messages[7]  # the subject is required


def test_undo_removes_the_imported_activities(manager):
    job = _run(manager, "Subject,Date,Done\nGone,2020-01-01,yes\n")
    assert job.created == 1
    services.job_undo(actor=manager, job=job)
    assert not Activity.objects.filter(subject="Gone").exists()


def test_imported_activities_are_written_by_the_activities_service_without_its_live_hooks(
    manager, monkeypatch
):
    from activities import services as activity_services
    from crm.models import AuditEvent

    calls = []
    original = activity_services.activity_create

    def spy(**kwargs):
        calls.append(kwargs["hooks"])
        return original(**kwargs)

    monkeypatch.setattr(activity_services, "activity_create", spy)
    hooked = []
    handler = activity_services.on_activity_saved(lambda activity, change: hooked.append(change))
    try:
        job = _run(manager, "Kind,Subject,Date,Done\nmeeting,Kick-off,2021-03-04,yes\nto-do,Later,,no\n")
    finally:
        activity_services._handlers.remove(handler)
    assert job.created == 2 and calls == [False, False]
    assert hooked == []  # the calendar invites and touching "now" are for live work only
    ids = [str(pk) for pk in Activity.objects.values_list("pk", flat=True)]
    # The service's audit row, which the earlier bulk insert skipped.
    assert AuditEvent.objects.filter(verb="created", object_id__in=ids, actor=manager).count() == 2
