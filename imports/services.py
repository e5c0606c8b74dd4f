"""The life of an import: upload → mapping and preview → run in batches → result → undo.

A run is a chain of queued tasks (crm.outbox.enqueue), one per batch of BATCH_SIZE rows. Each
task runs in one transaction with the end of its queue row: it writes its records, notes every
row's outcome, adds to the job's counts and enqueues the next batch — all or nothing. A worker
killed in the middle loses the batch's transaction, and the outbox's requeue job runs the same
batch again; a batch that committed is never run twice. Rows already given an outcome are never
written again, so re-running a finished import changes nothing.
"""

from __future__ import annotations

import io
import json
from typing import Any

from celery import shared_task
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import services as contact_services
from crm import outbox
from crm.models import Document, QueuedTask
from crm.services import audit_record
from imports import mapping as mappings
from imports import readers
from imports.models import ImportJob, ImportRow, Kind, Mode, SavedMapping
from imports.writers import writer_for
from leads import services as lead_services

PERMISSION = "imports.run_import"
BATCH_SIZE = 1000
PREVIEW_ROWS = 20


class ImportError_(ValueError):
    """The import cannot go on as asked; the message says why, for the user."""


def require_importer(user) -> None:
    if not user.has_perm(PERMISSION):
        raise PermissionDenied


def jobs_visible_to(user):
    """The imports `user` may open (ImportJob.objects.visible_to: the policy of crm.access)."""
    return ImportJob.objects.visible_to(user).select_related("owner")


def _stage_rows(job: ImportJob, table: readers.Table) -> None:
    """The file's rows into the staging table by COPY (about ten times bulk_create's speed)."""
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY imports_importrow (job_id, number, cells, outcome, message) FROM STDIN"
        ) as copy,
    ):
        for number, cells in table.rows:
            copy.write_row((job.pk, number, json.dumps(cells), "", ""))


@transaction.atomic
def job_create(
    *, actor, kind: str, data: bytes | None = None, file_name: str = "", pasted: str = ""
) -> ImportJob:
    """Read an uploaded file (or pasted cells), stage its rows and guess the mapping.

    Raises readers.ImportFileError when the file cannot be imported as a whole."""
    require_importer(actor)
    if kind not in mappings.SUPPORTED_KINDS:
        raise ImportError_(_("This kind of record cannot be imported yet."))
    table = readers.read_file(data, file_name) if data is not None else readers.read_pasted(pasted)
    job = ImportJob.objects.create(
        owner=actor,
        kind=kind,
        file_name=file_name[:255],
        headers=table.headers,
        mapping=mappings.guess_mapping(kind, table.headers),
        rows_total=len(table.rows),
        match_key=_default_match_key(kind),
        mode=Mode.CREATE_OR_UPDATE if _default_match_key(kind) else Mode.CREATE,
    )
    if data is not None:
        job.file.save(f"import-{job.pk}-{file_name[-80:] or 'upload'}", ContentFile(data), save=True)
    _stage_rows(job, table)
    return job


def _default_match_key(kind: str) -> str:
    return {"people": "email", "leads": "email", "companies": "name"}.get(kind, "")


@transaction.atomic
def job_configure(
    *,
    actor,
    job: ImportJob,
    mapping: dict[str, str],
    mode: str,
    match_key: str,
    create_related: bool = False,
    save_as: str = "",
) -> ImportJob:
    """Set the mapping and the mode of a job not yet started; optionally keep the mapping."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.DRAFT:
        raise ImportError_(_("This import has started: its mapping cannot change."))
    known = {spec.name for spec in mappings.field_specs(job.kind)}
    chosen = {str(index): name for index, name in mapping.items() if name}
    if set(chosen.values()) - known:
        raise ValidationError(_("Choose fields from the list."))
    if len(set(chosen.values())) != len(chosen):
        raise ValidationError(_("Each field can be filled from one column only."))
    if job.kind in mappings.CREATE_ONLY_KINDS and mode != Mode.CREATE:
        raise ValidationError(_("Deals and activities are imported as new records only."))
    if match_key and match_key not in known:
        raise ValidationError(_("Choose a match key from the list."))
    if mode != Mode.CREATE and not match_key:
        raise ValidationError(_("Updating needs a match key to find the existing records."))
    if match_key and match_key not in chosen.values():
        raise ValidationError(_("The match key must be one of the imported columns."))
    job.mapping, job.mode, job.match_key, job.create_related = chosen, mode, match_key, create_related
    job.save(update_fields=["mapping", "mode", "match_key", "create_related"])
    if save_as.strip():
        columns = {
            job.headers[int(index)]: name for index, name in chosen.items() if int(index) < len(job.headers)
        }
        SavedMapping.objects.update_or_create(
            owner=actor, kind=job.kind, name=save_as.strip()[:100], defaults={"columns": columns}
        )
    return job


def saved_mapping_apply(*, actor, job: ImportJob, saved: SavedMapping) -> ImportJob:
    if saved.owner_id != actor.pk or saved.kind != job.kind or job.status != ImportJob.Status.DRAFT:
        raise PermissionDenied
    job.mapping = mappings.mapping_from_saved(saved.columns, job.headers, job.kind)
    job.save(update_fields=["mapping"])
    return job


def job_preview(*, actor, job: ImportJob, limit: int = PREVIEW_ROWS):
    """The first rows with what each would do and its errors per field; nothing is written."""
    rows = list(job.rows.order_by("number")[:limit])
    with transaction.atomic():
        planned = writer_for(job, actor).plan(rows)
        transaction.set_rollback(True)  # planning writes nothing; this makes sure of it
    return list(zip(rows, planned, strict=True))


@transaction.atomic
def job_start(*, actor, job: ImportJob, in_worker: bool = True) -> ImportJob:
    """Queue the run (once: a second click, or a finished job, changes nothing). `in_worker`
    False: the caller runs the batches itself (job_run_here, the management command)."""
    require_importer(actor)
    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.DRAFT).update(
        status=ImportJob.Status.QUEUED, started_at=timezone.now()
    )
    if started and in_worker:
        outbox.enqueue(job_run_batch, job_id=job.pk, after=0)
    return ImportJob.objects.get(pk=job.pk)


def job_cancel(*, actor, job: ImportJob) -> ImportJob:
    """Stop after the batch that is running; finished batches stay (undo removes them)."""
    # Decided by the stored status, not the caller's copy, which may be stale.
    never_started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.DRAFT).update(
        status=ImportJob.Status.CANCELLED, finished_at=timezone.now()
    )
    if not never_started:
        ImportJob.objects.filter(pk=job.pk).exclude(status__in=ImportJob.FINISHED).update(
            cancel_requested=True
        )
    return ImportJob.objects.get(pk=job.pk)


def _finish(job: ImportJob, status: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    if job.owner is not None:
        audit_record(
            actor=job.owner,
            verb="import",
            instance=job,
            changes={
                "created": job.created,
                "updated": job.updated,
                "skipped": job.skipped,
                "rejected": job.rejected,
            },
        )


def run_batch(job_id: int, after: int) -> int | None:
    """Import the rows after line `after`; returns the last line done (None: the job ended).

    Runs inside the caller's transaction (the queued task's)."""
    with connection.cursor() as cursor:
        # The batch's commit need not wait for its WAL to reach the disk (a few MB a batch): if
        # PostgreSQL itself crashed right after, the batch would be lost whole, with the queued
        # task's end that is in the same transaction, and run again like a killed worker's.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    job = ImportJob.objects.select_for_update(of=("self",)).select_related("owner").get(pk=job_id)
    if job.is_finished:
        return None
    if job.cancel_requested:
        _finish(job, ImportJob.Status.CANCELLED)
        return None
    rows = list(job.rows.filter(number__gt=after).order_by("number")[:BATCH_SIZE])
    if not rows:
        _finish(job, ImportJob.Status.DONE)
        return None
    pending = [row for row in rows if not row.outcome]  # a row already done is never written again
    counts = {"created": 0, "updated": 0, "skipped": 0, "rejected": 0}
    if pending:
        writer = writer_for(job, job.owner)
        planned_rows = writer.plan(pending, writing=True)
        writer.write(planned_rows)
        for row, planned in zip(pending, planned_rows, strict=True):
            row.outcome = planned.outcome or ImportRow.Outcome.SKIPPED
            row.message = planned.message[:2000]
            row.record_id = planned.record.pk if planned.record is not None else None
            counts[row.outcome] += 1
        _note_outcomes(job, pending)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        rows_done=F("rows_done") + len(pending),
        **{name: F(name) + count for name, count in counts.items()},
    )
    return rows[-1].number


def _note_outcomes(job: ImportJob, rows: list[ImportRow]) -> None:
    """Each row's outcome in one statement (bulk_update's CASE over 1,000 rows took seconds)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE imports_importrow AS r"
            " SET outcome = v.outcome, message = v.message, record_id = v.record_id"
            " FROM unnest(%s::integer[], %s::text[], %s::text[], %s::bigint[])"
            " AS v(number, outcome, message, record_id) WHERE r.job_id = %s AND r.number = v.number",
            [
                [row.number for row in rows],
                [row.outcome for row in rows],
                [row.message for row in rows],
                [row.record_id for row in rows],
                job.pk,
            ],
        )


@outbox.queueable
def job_run_batch(*, job_id: int, after: int) -> None:
    """One batch, then the next one queued in the same transaction (see the module)."""
    last = run_batch(job_id, after)
    if last is not None:
        outbox.enqueue(job_run_batch, job_id=job_id, after=last)


BATCH_TASK = f"{job_run_batch.__module__}.{job_run_batch.__qualname__}"


def fail_given_up_jobs() -> int:
    """End "failed", with the error, every unfinished import whose batch the outbox gave up on
    (a batch that kept failing outside the database: its queued task is "failed" after its
    attempts), instead of leaving it "running" for ever. Returns how many jobs it ended."""
    given_up = QueuedTask.objects.filter(function=BATCH_TASK, status=QueuedTask.Status.FAILED)
    ended = 0
    for kwargs, error in given_up.values_list("kwargs", "last_error"):
        job_id = kwargs.get("job_id")
        message = _("The background work gave up on a batch: %(error)s") % {
            "error": error or _("unknown error")
        }
        with transaction.atomic():
            job = (
                ImportJob.objects.select_for_update(of=("self",))
                .select_related("owner")
                .exclude(status__in=[*ImportJob.FINISHED, ImportJob.Status.DRAFT])
                .filter(pk=job_id)
                .first()
            )
            if job is None:
                continue
            job.message = message[:2000]
            job.save(update_fields=["message"])
            _finish(job, ImportJob.Status.FAILED)
            ended += 1
    return ended


@shared_task
def jobs_fail_given_up() -> int:
    """Beat (crm/settings.py): imports whose batch the outbox gave up on end "failed"."""
    return fail_given_up_jobs()


def job_run_here(*, job: ImportJob, progress=None) -> ImportJob:
    """Run a started job in this process, batch after batch, each in its own transaction (the
    management command). `progress(job)` is called after each batch."""
    after = 0
    while True:
        with transaction.atomic():
            last = run_batch(job.pk, after)
        job.refresh_from_db()
        if progress is not None:
            progress(job)
        if last is None:
            return job
        after = last


def seconds_left(job: ImportJob) -> int | None:
    if not job.started_at or not job.rows_done or job.is_finished:
        return None
    elapsed = (timezone.now() - job.started_at).total_seconds()
    return int(elapsed / job.rows_done * (job.rows_total - job.rows_done))


def rejected_rows_xlsx(job: ImportJob) -> bytes:
    """The rejected rows with their reason, to fix and import again (cells written as text)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(_("Rejected rows")[:31])
    sheet.write_row(0, 0, [_("Row"), _("Reason"), *job.headers])
    rows = job.rows.filter(outcome=ImportRow.Outcome.REJECTED).order_by("number")
    for line, (number, message, cells) in enumerate(
        rows.values_list("number", "message", "cells").iterator(), 1
    ):
        sheet.write_number(line, 0, number)
        sheet.write_string(line, 1, message)
        for column, cell in enumerate(cells, start=2):
            sheet.write_string(line, column, str(cell))
    workbook.close()
    return buffer.getvalue()


def undo_blockers(job: ImportJob) -> list[str]:
    """Why the import cannot be undone (empty: it can)."""
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.CANCELLED, ImportJob.Status.FAILED):
        return [_("Only a finished import can be undone.")]
    model = mappings.MODELS[job.kind]
    ids = job.rows.filter(outcome__in=["created", "updated"]).values_list("record_id", flat=True)
    touched = model._default_manager.filter(pk__in=ids, updated_at__gt=job.finished_at)
    if touched.exists():
        return [_("Records of this import were edited since: it can no longer be undone.")]
    return []


# How undo restores a record the import updated: through the service that owns it, so that
# the restore is an update like any other (version moved on, search text, history and audit rows).
RESTORE = {
    Kind.COMPANIES: (
        contact_services.COMPANY_FIELDS,
        lambda actor, record, changes: contact_services.company_update(
            actor=actor, company=record, changes=changes, expected_version=record.version
        ),
    ),
    Kind.PEOPLE: (
        contact_services.PERSON_FIELDS,
        lambda actor, record, changes: contact_services.person_update(
            actor=actor, person=record, changes=changes, expected_version=record.version
        ),
    ),
    Kind.LEADS: (
        lead_services.LEAD_FIELDS,
        lambda actor, record, changes: lead_services.lead_update(
            actor=actor, lead=record, changes=changes, expected_version=record.version
        ),
    ),
}


def _restorations(model, entries: list, records: dict[int, Any], names) -> list[tuple[Any, dict]]:
    """(record, the values of `entries` — history rows — that differ from it), for the fields
    the service takes; related records fetched once per kind, not once per row."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.name in names and field.name in {f.name for f in model.history.model._meta.fields}
    ]
    related: dict[str, dict] = {}
    for field in fields:
        if field.many_to_one:
            ids = {getattr(entry, field.attname) for entry in entries} - {None}
            related[field.name] = field.related_model._base_manager.in_bulk(ids)
    restorations = []
    for entry in entries:
        record = records.get(entry.id)
        if record is None:
            continue
        changes = {}
        for field in fields:
            old = getattr(entry, field.attname)
            if field.many_to_one:
                if old != getattr(record, field.attname):
                    changes[field.name] = related[field.name].get(old)
            elif old != getattr(record, field.attname):
                changes[field.name] = old
        restorations.append((record, changes))
    return restorations


def _delete_related(job: ImportJob) -> int:
    """Delete what the import created besides its rows' records (the companies it created for
    people), unless someone edited one since or anything else now refers to it: a record, a
    document (deleting the company would take those with it). Returns how many it deleted."""
    by_type: dict[int, list[int]] = {}
    for content_type_id, record_id in job.related_records.values_list("content_type_id", "record_id"):
        by_type.setdefault(content_type_id, []).append(record_id)
    deleted = 0
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        untouched = model._default_manager.filter(pk__in=ids, updated_at__lte=job.finished_at)
        for relation in model._meta.related_objects:
            if hasattr(relation.related_model, "instance_type"):
                continue  # its history: kept, as for every deleted record
            if relation.many_to_many:
                name = relation.field.m2m_reverse_field_name()
                referring = relation.through._base_manager.filter(**{f"{name}__in": ids})
                column = relation.through._meta.get_field(name).attname
            else:
                referring = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids})
                column = relation.field.attname
            untouched = untouched.exclude(pk__in=referring.values(column))
        documents = Document.objects.filter(content_type_id=content_type_id, object_id__in=ids)
        doomed = set(untouched.values_list("pk", flat=True)) - set(
            documents.values_list("object_id", flat=True)
        )
        model._default_manager.filter(pk__in=doomed).delete()
        deleted += len(doomed)
    return deleted


@transaction.atomic
def job_undo(*, actor, job: ImportJob) -> dict[str, Any]:
    """Delete what the import created (the records of its rows, and the companies it created for
    them) and restore what it updated, from their history, through the owning services."""
    require_importer(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    blockers = undo_blockers(job)
    if blockers:
        raise ImportError_(blockers[0])
    model = mappings.MODELS[job.kind]
    created = list(job.rows.filter(outcome="created").values_list("record_id", flat=True))
    updated = list(job.rows.filter(outcome="updated").values_list("record_id", flat=True))
    deleted, _details = model._default_manager.filter(pk__in=created).delete()
    restored = 0
    latest: dict[int, Any] = {}
    if updated:  # deals and activities are only created, and activities keep no history
        history = model.history.filter(id__in=updated, history_date__lt=job.started_at)
        for entry in history.order_by("id", "-history_date", "-history_id"):
            latest.setdefault(entry.id, entry)
    if latest:
        names, restore = RESTORE[job.kind]
        records = model._default_manager.in_bulk(list(latest))
        for record, changes in _restorations(model, list(latest.values()), records, names):
            try:
                restore(actor, record, changes)
            except ValidationError as error:
                raise ImportError_(
                    _("“%(record)s” cannot be restored as it was: %(reason)s")
                    % {"record": record, "reason": " ".join(error.messages)}
                ) from error
            restored += 1
    # After the restores: a person the import had moved to a company it created leaves it.
    deleted_related = _delete_related(job)
    job.status = ImportJob.Status.UNDONE
    job.save(update_fields=["status"])
    audit_record(
        actor=actor,
        verb="undo import",
        instance=job,
        changes={"deleted": deleted, "restored": restored, "companies deleted": deleted_related},
    )
    return {"deleted": len(created), "restored": restored, "companies_deleted": deleted_related}
