"""The import's services: staging, mapping, batches, idempotency, rules of the forms, undo."""

import pytest
from django.core.exceptions import PermissionDenied

from contacts.models import Company, Person, RequiredField
from crm import lookup_cache
from imports import services
from imports.models import ImportJob, ImportRow, Mode
from tests.factories import CompanyFactory, PersonFactory

PEOPLE_CSV = (
    "Förnamn;Efternamn;E-post;Företag;Telefon\n"
    "Anna;Berg;anna@acme.se;Acme AB;+46 70 123 45 67\n"
    "Bo;Ek;bo@acme.se;Acme AB;+46 70 765 43 21\n"
).encode()


def _relax_minimum(model="contacts.person"):
    RequiredField.objects.filter(target=model).update(is_required=False)
    lookup_cache.clear()


def _job(actor, data=PEOPLE_CSV, kind="people", name="people.csv", **configure):
    job = services.job_create(actor=actor, kind=kind, data=data, file_name=name)
    if configure:
        job = services.job_configure(actor=actor, job=job, **configure)
    return job


def _run(actor, job):
    services.job_start(actor=actor, job=job)
    return services.job_run_here(job=ImportJob.objects.get(pk=job.pk))


@pytest.fixture
def minimum_relaxed(db):
    _relax_minimum()
    _relax_minimum("contacts.company")


def test_a_rep_may_not_import(rep):
    with pytest.raises(PermissionDenied):
        _job(rep)


def test_swedish_headings_are_mapped_and_rows_staged(manager):
    job = _job(manager)
    assert job.mapping == {"0": "first_name", "1": "last_name", "2": "email", "3": "company", "4": "phone"}
    assert job.rows.count() == 2 and job.rows_total == 2


def test_people_are_created_with_their_company_linked_in_one_pass(manager, minimum_relaxed):
    acme = CompanyFactory(name="Acme AB", owner=manager)
    job = _run(manager, _job(manager))
    assert job.status == ImportJob.Status.DONE and job.created == 2
    people = Person.objects.filter(email__endswith="@acme.se")
    assert {p.company_id for p in people} == {acme.pk}
    assert all(p.history.count() == 1 for p in people)
    assert Person.objects.filter(search_text__contains="anna").exists()


def test_a_missing_company_rejects_the_row_unless_creating_is_allowed(manager, minimum_relaxed):
    job = _run(manager, _job(manager))
    assert job.rejected == 2 and job.created == 0
    assert "Acme AB" in job.rows.first().message
    job = _job(manager)
    job = services.job_configure(
        actor=manager,
        job=job,
        mapping=job.mapping,
        mode=Mode.CREATE_OR_UPDATE,
        match_key="email",
        create_related=True,
    )
    job = _run(manager, job)
    assert job.created == 2 and Company.objects.filter(name="Acme AB").count() == 1


def test_rerunning_a_finished_import_changes_nothing(manager, minimum_relaxed):
    CompanyFactory(name="Acme AB", owner=manager)
    job = _run(manager, _job(manager))
    before = Person.objects.count()
    assert services.run_batch(job.pk, 0) is None
    services.job_start(actor=manager, job=job)
    services.job_run_here(job=job)
    assert Person.objects.count() == before
    job.refresh_from_db()
    assert (job.created, job.rows_done) == (2, 2)


def test_importing_the_same_file_again_updates_instead_of_duplicating(manager, minimum_relaxed):
    CompanyFactory(name="Acme AB", owner=manager)
    _run(manager, _job(manager))
    changed = PEOPLE_CSV.replace(b"Berg", b"Lind")
    second = _run(manager, _job(manager, data=changed))
    assert (second.created, second.updated, second.skipped) == (0, 1, 1)
    assert Person.objects.get(email="anna@acme.se").last_name == "Lind"


def test_a_row_that_breaks_the_minimum_fields_is_rejected_naming_the_rule(manager):
    RequiredField.objects.update_or_create(
        target="contacts.person", field_name="title", defaults={"is_required": True}
    )
    CompanyFactory(name="Acme AB", owner=manager)
    job = _run(manager, _job(manager))
    assert job.rejected == 2
    assert "Title is required" in job.rows.first().message


def test_duplicate_rows_within_the_file_are_imported_once(manager, minimum_relaxed):
    CompanyFactory(name="Acme AB", owner=manager)
    data = PEOPLE_CSV + b"Anna;Berg;ANNA@acme.se;Acme AB;\n"
    job = _run(manager, _job(manager, data=data))
    assert (job.created, job.skipped) == (2, 1)
    assert Person.objects.filter(email="anna@acme.se").count() == 1


def test_a_batch_that_fails_writes_nothing_and_runs_again(manager, minimum_relaxed, monkeypatch):
    CompanyFactory(name="Acme AB", owner=manager)
    job = _job(manager)
    services.job_start(actor=manager, job=job)
    from imports import writers

    def crash(self, planned_rows):
        original(self, planned_rows)
        raise RuntimeError("worker killed")

    original = writers.PersonWriter.write
    monkeypatch.setattr(writers.PersonWriter, "write", crash)
    with pytest.raises(RuntimeError):
        services.job_run_here(job=job)
    assert Person.objects.count() == 0
    assert not ImportRow.objects.filter(job=job).exclude(outcome="").exists()
    monkeypatch.setattr(writers.PersonWriter, "write", original)
    job = services.job_run_here(job=job)
    assert job.created == 2 and Person.objects.count() == 2


def test_batches_chain_through_the_outbox(
    manager, minimum_relaxed, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    CompanyFactory(name="Acme AB", owner=manager)
    job = _job(manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.job_start(actor=manager, job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 2


def test_cancel_stops_before_the_next_batch(manager, minimum_relaxed, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    CompanyFactory(name="Acme AB", owner=manager)
    job = _job(manager)
    services.job_start(actor=manager, job=job)
    services.run_batch(job.pk, 0)
    services.job_cancel(actor=manager, job=job)
    assert services.run_batch(job.pk, 2) is None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and job.created == 1


def test_update_only_skips_rows_without_a_match(manager, minimum_relaxed):
    acme = CompanyFactory(name="Acme AB", owner=manager)
    PersonFactory(email="anna@acme.se", first_name="Old", owner=manager, company=acme)
    job = _job(manager)
    job = services.job_configure(
        actor=manager, job=job, mapping=job.mapping, mode=Mode.UPDATE, match_key="email"
    )
    job = _run(manager, job)
    assert (job.updated, job.skipped, job.created) == (1, 1, 0)


def test_updating_people_with_their_company_costs_no_query_per_row(manager, minimum_relaxed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    acme = CompanyFactory(name="Acme AB", owner=manager)
    CompanyFactory(name="Nord AB", owner=manager)

    def queries(count: int) -> int:
        people = [
            PersonFactory(email=f"p{count}-{n}@acme.se", owner=manager, company=acme) for n in range(count)
        ]
        data = "Förnamn;Efternamn;E-post;Företag\n" + "".join(f"Ny;Namn;{p.email};Nord AB\n" for p in people)
        job = _job(manager, data=data.encode())
        services.job_start(actor=manager, job=job)
        with CaptureQueriesContext(connection) as captured:
            job = services.job_run_here(job=ImportJob.objects.get(pk=job.pk))
        assert job.updated == count
        return len(captured)

    queries(1)  # the first run also fills the process's caches (content types, settings)
    assert queries(2) == queries(6)
    assert set(Person.objects.filter(email__startswith="p6-").values_list("company__name", flat=True)) == {
        "Nord AB"
    }


def test_undo_deletes_created_and_restores_updated_records(manager, minimum_relaxed):
    acme = CompanyFactory(name="Acme AB", owner=manager)
    anna = PersonFactory(email="anna@acme.se", first_name="Old", owner=manager, company=acme)
    job = _run(manager, _job(manager))
    assert Person.objects.get(pk=anna.pk).first_name == "Anna"
    services.job_undo(actor=manager, job=job)
    assert Person.objects.get(pk=anna.pk).first_name == "Old"
    assert not Person.objects.filter(email="bo@acme.se").exists()


def test_undo_restores_through_the_person_service_with_its_audit_and_history(manager, minimum_relaxed):
    from crm.models import AuditEvent

    acme = CompanyFactory(name="Acme AB", owner=manager)
    anna = PersonFactory(email="anna@acme.se", first_name="Old", owner=manager, company=acme)
    job = _run(manager, _job(manager))
    imported_touch = Person.objects.get(pk=anna.pk).last_touched_at
    services.job_undo(actor=manager, job=job)
    restored = Person.objects.get(pk=anna.pk)
    # person_update's rules, not a bare save(): an audit row naming the restored value, a history
    # row naming the actor, and the person touched again.
    audit = AuditEvent.objects.filter(object_id=str(anna.pk), verb="update").order_by("-pk").first()
    assert audit is not None and audit.actor == manager and audit.changes.get("first_name") == "Old"
    assert restored.history.first().history_user == manager
    assert restored.last_touched_at > imported_touch


def test_undo_deletes_the_companies_the_import_created_unless_edited_or_used_since(manager, minimum_relaxed):
    from contacts import services as contact_services
    from imports.models import ImportRelated

    existing = CompanyFactory(name="Acme AB", owner=manager)
    data = (
        PEOPLE_CSV
        + "Cy;Ek;cy@nord.se;Nord AB;\nDi;Ek;di@syd.se;Syd AB;\nEd;Ek;ed@vast.se;Väst AB;\n".encode()
    )
    job = _job(manager, data=data)
    job = services.job_configure(
        actor=manager, job=job, mapping=job.mapping, mode=Mode.CREATE, match_key="email", create_related=True
    )
    job = _run(manager, job)
    made = {c.name: c for c in Company.objects.filter(name__in=["Nord AB", "Syd AB", "Väst AB"])}
    assert len(made) == 3 and job.created == 5
    # Only the companies it created are recorded, not the one it found.
    assert set(job.related_records.values_list("record_id", flat=True)) == {c.pk for c in made.values()}
    assert not ImportRelated.objects.filter(record_id=existing.pk).exists()
    # Since the import: Syd AB was edited, someone else's person works at Väst AB.
    syd = made["Syd AB"]
    contact_services.company_update(
        actor=manager, company=syd, changes={"phone": "+46 8 123 456"}, expected_version=syd.version
    )
    other = PersonFactory(email="fia@vast.se", owner=manager, company=made["Väst AB"])
    services.job_undo(actor=manager, job=job)
    left = set(Company.objects.filter(pk__in=[c.pk for c in made.values()]).values_list("name", flat=True))
    assert left == {"Syd AB", "Väst AB"}
    assert Company.objects.filter(pk=existing.pk).exists()
    assert Person.objects.get(pk=other.pk).company_id == made["Väst AB"].pk


def test_undo_restores_the_search_and_moves_the_version_on(manager, minimum_relaxed):
    from crm.search import search

    acme = CompanyFactory(name="Acme AB", owner=manager)
    anna = PersonFactory(
        email="anna@acme.se", first_name="Olga", last_name="Vik", owner=manager, company=acme
    )

    def found(term):
        return set(search(Person.objects.all(), term).values_list("email", flat=True))

    job = _run(manager, _job(manager))
    assert found("olga") == set() and found("anna berg") == {"anna@acme.se"} and found("bo ek")
    imported_version = Person.objects.get(pk=anna.pk).version
    services.job_undo(actor=manager, job=job)
    # The search vector follows the restored values: the old name is found again, the imported
    # one and the created person no longer.
    assert found("olga vik") == {"anna@acme.se"} and found("anna berg") == set() and found("bo ek") == set()
    restored = Person.objects.get(pk=anna.pk)
    assert (restored.first_name, restored.last_name) == ("Olga", "Vik")
    # A form opened on the imported version cannot overwrite the restored record unnoticed.
    assert restored.version > imported_version


def test_preview_shows_errors_per_cell_and_writes_nothing(manager, minimum_relaxed):
    CompanyFactory(name="Acme AB", owner=manager)
    data = PEOPLE_CSV + b"Cy;Ek;not-an-email;Acme AB;\n"
    job = _job(manager, data=data)
    preview = services.job_preview(actor=manager, job=job)
    assert [planned.outcome for _row, planned in preview] == ["created", "created", "rejected"]
    assert "email" in preview[2][1].errors
    assert Person.objects.count() == 0


def test_rejected_rows_download_as_xlsx_with_the_reason(manager, minimum_relaxed):
    import io

    from openpyxl import load_workbook

    data = PEOPLE_CSV + b"=cmd|' /C calc'!A0;Ek;bad;Nowhere;\n"
    job = _run(manager, _job(manager, data=data))
    sheet = load_workbook(io.BytesIO(services.rejected_rows_xlsx(job))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Row", "Reason") and len(rows) == 4
    assert rows[3][2] == "=cmd|' /C calc'!A0"  # text, not a formula


def test_a_batch_the_outbox_gives_up_on_ends_the_job_failed_with_the_error(
    manager, minimum_relaxed, monkeypatch, django_capture_on_commit_callbacks
):
    """A batch failing outside the database (here: the writer raises) is retried by the outbox
    and, after its last attempt, given up on: the job then ends "failed" with the error, not
    "running" for ever; nothing of the failed batch is written."""
    from crm import outbox
    from crm.models import QueuedTask
    from imports import writers

    def broken(self, planned_rows):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(writers.PersonWriter, "write", broken)
    CompanyFactory(name="Acme AB", owner=manager)
    job = _job(manager)
    with django_capture_on_commit_callbacks(execute=False):
        services.job_start(actor=manager, job=job)
    task = QueuedTask.objects.get(function=services.BATCH_TASK)
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        QueuedTask.objects.filter(pk=task.pk).update(retry_at=None)
        with pytest.raises(RuntimeError):
            outbox.run_queued(task.pk)
        if attempt == 1:  # still retried: the job waits, not failed yet
            assert services.fail_given_up_jobs() == 0
            assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED
    assert services.jobs_fail_given_up() == 1  # the beat's sweep
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "the disk went away" in job.message
    assert job.finished_at and not Person.objects.exists()
    assert services.fail_given_up_jobs() == 0  # once only
