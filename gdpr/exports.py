"""The subject-access export: everything held on one person, as JSON, XLSX or a readable page.

Linked records come from gdpr.registry and are shown only when the viewer may see them (a lead
or activity hidden from the viewer is counted, never named). A request from the card is built
by a worker (crm.outbox, exactly once) into private files that only the requester downloads."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import re
import uuid
from typing import Any

import xlsxwriter
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone

from crm import access, outbox
from crm import linked as linked_records
from crm.documents import documents_of
from crm.exports import neutralise
from gdpr import registry
from gdpr.models import GdprEvent, SubjectAccessExport

EXPORT_PERMISSION = "gdpr.export_personal_data"
EXPORTS_LISTED = 20  # a user's latest exports of one person, on its exports page

SKIPPED = {"search_text", "search_vector", "version"}
LINKED_CAP = 1000  # per kind of linked record; more is stated in "truncated"


def _value(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def _related_name(related: models.Model | None, user) -> str | None:
    """A linked record's name, or "hidden record" when `user` may not see it (crm.linked)."""
    if related is None:
        return None
    if (
        linked_records.has_visibility(type(related))
        and not _visible(type(related)._default_manager.filter(pk=related.pk), user).exists()
    ):
        return str(linked_records.HIDDEN_RECORD)
    return str(related)


def _row(record: models.Model, user, names: list[str] | None = None) -> dict[str, Any]:
    model = type(record)
    fields = [model._meta.get_field(name) for name in names] if names else model._meta.concrete_fields
    row = {}
    for field in fields:
        if field.name in SKIPPED:
            continue
        if field.is_relation:
            row[str(field.verbose_name)] = _related_name(getattr(record, field.name), user)
        else:
            row[str(field.verbose_name)] = _value(getattr(record, field.attname))
    return row


def _visible(queryset: models.QuerySet, user) -> models.QuerySet:
    manager = queryset.model._default_manager
    if hasattr(manager, "visible_to"):
        return queryset.filter(pk__in=manager.visible_to(user).values("pk"))
    return access.visible_to(queryset, user)


@transaction.atomic
def subject_access_data(*, actor, record: models.Model) -> dict[str, Any]:
    """What the export holds; logged as an export by `actor` (the caller checked visibility)."""
    subject = registry.subject_for_model(type(record))
    if subject is None:
        raise ValueError(type(record)._meta.label)
    data: dict[str, Any] = {
        "record": {"kind": str(type(record)._meta.verbose_name), "id": record.pk},
        "fields": _row(record, actor),
        "consent": {
            str(type(record)._meta.get_field(name).verbose_name): getattr(record, name)
            for name in subject.consent_fields
        },
        "linked": {},
        "documents": [
            {"name": document.name, "size": document.size, "uploaded_at": str(document.uploaded_at)}
            for document in documents_of(record)[:LINKED_CAP]
        ],
    }
    for linked in registry.linked_to(subject.key):
        everything = linked.model._base_manager.filter(**{linked.lookup: record}).distinct()
        shown = list(_visible(everything, actor).order_by("pk")[: LINKED_CAP + 1])
        entry = data["linked"].setdefault(str(linked.label), {"records": [], "hidden": 0, "truncated": False})
        entry["records"] += [
            _row(row, actor, list(linked.export_fields) or None) for row in shown[:LINKED_CAP]
        ]
        entry["truncated"] = entry["truncated"] or len(shown) > LINKED_CAP
        entry["hidden"] += everything.count() - _visible(everything, actor).count()
    content_type = ContentType.objects.get_for_model(type(record))
    data["gdpr_log"] = [
        {"action": event.action, "when": str(event.created_at), "fields": event.fields}
        for event in GdprEvent.objects.filter(content_type=content_type, object_id=record.pk)[:LINKED_CAP]
    ]
    GdprEvent.objects.create(
        action=GdprEvent.Action.EXPORT,
        actor=actor,
        content_type=content_type,
        object_id=record.pk,
        fields=sorted(data["linked"]),
    )
    return data


# -- XLSX --------------------------------------------------------------------------------------


def _sheet_name(label: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", str(label)).strip()[:28] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        name, number = f"{base} {number}", number + 1
    taken.add(name.lower())
    return name


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return neutralise(str(value))


def _write_table(workbook, sheet_name: str, rows: list[dict[str, Any]], note: str = "") -> None:
    sheet = workbook.add_worksheet(sheet_name)
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    for column, key in enumerate(columns):
        sheet.write_string(0, column, str(key))
    for number, row in enumerate(rows, start=1):
        for column, key in enumerate(columns):
            value = _cell(row.get(key))
            if isinstance(value, str):
                sheet.write_string(number, column, value)
            else:
                sheet.write_number(number, column, value)
    if note:
        sheet.write_string(len(rows) + 2, 0, note)


def subject_access_xlsx(data: dict[str, Any]) -> bytes:
    """The export as a workbook: the fields and consents, then a sheet per kind of linked record.
    Text is written as text (formulas never run), and what starts like a formula is neutralised."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    taken: set[str] = set()
    fields = [{"field": key, "value": value} for key, value in data["fields"].items()]
    _write_table(workbook, _sheet_name("Fields", taken), fields)
    consent = [{"field": key, "value": value} for key, value in data["consent"].items()]
    _write_table(workbook, _sheet_name("Consent", taken), consent)
    for label, entry in data["linked"].items():
        note = f"{entry['hidden']} more not visible to the requester" if entry["hidden"] else ""
        _write_table(workbook, _sheet_name(label, taken), entry["records"], note)
    _write_table(workbook, _sheet_name("Documents", taken), data["documents"])
    _write_table(workbook, _sheet_name("GDPR log", taken), data["gdpr_log"])
    workbook.close()
    return buffer.getvalue()


# -- Built in the background -------------------------------------------------------------------


def subject_access_request(*, actor, record: models.Model) -> SubjectAccessExport:
    """Have a worker build the export of `record` for `actor` (who may see it: the caller checked)."""
    if not actor.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    with transaction.atomic():
        export = SubjectAccessExport.objects.create(
            requested_by=actor,
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
        )
        outbox.enqueue(subject_access_build, export_id=str(export.pk))
    return export


@outbox.queueable
def subject_access_build(*, export_id: str) -> None:
    """Write the JSON and XLSX files of a requested export (a worker, in one transaction: a second
    run finds it finished and does nothing). Refused — marked failed — when the requester may no
    longer export or see the person."""
    export = (
        SubjectAccessExport.objects.select_for_update()
        .select_related("requested_by", "content_type")
        .filter(pk=export_id, status=SubjectAccessExport.Status.PENDING)
        .first()
    )
    if export is None:
        return
    user = export.requested_by
    model = export.content_type.model_class()
    record = None
    if model is not None and user.is_active and user.has_perm(EXPORT_PERMISSION):
        record = _visible(model._default_manager.filter(pk=export.object_id), user).first()
    if record is None or registry.subject_for_model(model) is None:
        export.status = SubjectAccessExport.Status.FAILED
    else:
        data = subject_access_data(actor=user, record=record)
        body = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
        export.json_file.save("export.json", ContentFile(body), save=False)
        export.xlsx_file.save("export.xlsx", ContentFile(subject_access_xlsx(data)), save=False)
        export.status = SubjectAccessExport.Status.READY
    export.finished_at = timezone.now()
    export.save()


def exports_of(*, user, record: models.Model) -> models.QuerySet:
    """`user`'s own exports of `record`, newest first."""
    return SubjectAccessExport.objects.filter(
        requested_by=user,
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
    )


def export_downloaded(*, actor, export: SubjectAccessExport, file_format: str) -> None:
    """Log a download of a built export (the GDPR log: who, when, which record, which file)."""
    GdprEvent.objects.create(
        action=GdprEvent.Action.EXPORT,
        actor=actor,
        content_type_id=export.content_type_id,
        object_id=export.object_id,
        detail={"download": file_format, "export": str(export.pk)},
    )


# -- Files no export row names ------------------------------------------------------------------

EXPORT_DIR = "gdpr-exports"
ORPHAN_GRACE = datetime.timedelta(hours=1)  # a build may have written its files and not yet committed


def _stored_files(storage, folder: str):
    directories, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _stored_files(storage, f"{folder}/{directory}")


def exports_sweep_orphans(*, now: datetime.datetime | None = None) -> int:
    """Delete the files under the export folder that no SubjectAccessExport names: a build rolled
    back after writing them (the row went, the files stayed). Files younger than ORPHAN_GRACE are
    left to a build that may still commit. Safe to run twice. Returns how many were deleted."""
    storage = SubjectAccessExport._meta.get_field("json_file").storage
    if not storage.exists(EXPORT_DIR):
        return 0
    before = (now or timezone.now()) - ORPHAN_GRACE
    names = list(_stored_files(storage, EXPORT_DIR))
    deleted = 0
    for start in range(0, len(names), 1000):
        chunk = names[start : start + 1000]
        known = set(
            SubjectAccessExport.objects.filter(json_file__in=chunk).values_list("json_file", flat=True)
        )
        known |= set(
            SubjectAccessExport.objects.filter(xlsx_file__in=chunk).values_list("xlsx_file", flat=True)
        )
        for name in chunk:
            if name in known:
                continue
            try:
                if storage.get_modified_time(name) >= before:
                    continue
                storage.delete(name)
            except FileNotFoundError:
                continue  # another sweep got there first
            deleted += 1
    return deleted
