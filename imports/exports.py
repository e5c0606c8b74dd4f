"""The full-account export (issue 12): one XLSX workbook with a sheet per kind of record —
companies, people, leads, deals, activities — for Administrators, written by a queued task
(crm.outbox) and downloaded from its page when ready.

Each sheet has the columns of that list's own export (crm.exports columns), read as the
requesting Administrator sees the records. Text is written as string cells, never as formulas,
numbers or links, so a name such as "=HYPERLINK(…)" is shown, never run (see crm.exports).

Row cap: ROW_CAP rows per sheet (Excel holds 1,048,576 rows a sheet). A sheet with more stops
there; the export's page names the sheets cut, so nobody takes a partial sheet for the whole.
"""

from __future__ import annotations

import datetime
import itertools
import re
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity
from contacts.exports import PERSON_LINKS, company_columns, person_columns
from contacts.models import Company, Person
from crm import exports, linked, outbox
from crm.exports import Column, display, field, person, user, visible_only
from crm.services import audit_record
from imports.models import EXPORT_ACCOUNT, AccountExport
from leads.exports import lead_columns
from leads.models import Lead
from opportunities.board import selectors as board
from opportunities.models import Deal

ROW_CAP = 1_000_000
ACTIVITY_LINKS = ("company", "person", "deal", "lead")


class ExportRefused(PermissionError):
    """Only Administrators export the whole account."""


def is_administrator(actor) -> bool:
    """Whether `actor` may export the whole account (imports.export_account: Administrators)."""
    return bool(actor.is_authenticated and actor.is_active and actor.has_perm(EXPORT_ACCOUNT))


def activity_columns() -> list[Column]:
    return [
        display(_("Kind"), "kind", Activity.Kind.choices),
        field(_("Type"), "activity_type__name"),
        field(_("Meeting category"), "meeting_category__name"),
        field(_("Subject"), "subject"),
        display(_("Status"), "status", Activity.Status.choices),
        field(_("Due"), "due_at"),
        field(_("Done"), "done_at"),
        visible_only(field(_("Company"), "company__name"), "company"),
        visible_only(person(_("Person"), "person"), "person"),
        visible_only(field(_("Deal"), "deal__name"), "deal"),
        visible_only(person(_("Lead"), "lead"), "lead"),
        user(_("Responsible"), "owner"),
        field(_("Notes"), "notes"),
    ]


def sheets(actor) -> list[tuple[str, str, object, list[Column]]]:
    """(key, sheet title, queryset, columns) of each sheet, as `actor` sees the records."""
    deals = linked.annotate_visible(
        Deal.objects.visible_to(actor).with_weighted_value(), actor, *board.EXPORT_LINKS
    )
    return [
        ("companies", _("Companies"), Company.objects.visible_to(actor), company_columns()),
        (
            "people",
            _("People"),
            linked.annotate_visible(Person.objects.visible_to(actor), actor, *PERSON_LINKS),
            person_columns(),
        ),
        ("leads", _("Leads"), Lead.objects.visible_to(actor), lead_columns()),
        ("deals", _("Deals"), deals, [field(_("Pipeline"), "pipeline__name"), *board.export_columns()]),
        (
            "activities",
            _("Activities"),
            linked.annotate_visible(Activity.objects.visible_to(actor), actor, *ACTIVITY_LINKS),
            activity_columns(),
        ),
    ]


def _write_sheet(workbook, title: str, queryset, columns: list[Column], formats) -> tuple[int, bool]:
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
    for number, column in enumerate(columns):
        sheet.write_string(0, number, exports.XML_ILLEGAL.sub("", str(column.header)))
    written = 0
    truncated = False
    for written, row in enumerate(itertools.islice(exports.rows(queryset, columns), ROW_CAP + 1), start=1):
        if written > ROW_CAP:
            truncated, written = True, ROW_CAP
            break
        for number, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(written, number, exports.XML_ILLEGAL.sub("", value))
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(written, number, value, formats["datetime"])
            elif isinstance(value, datetime.date):
                sheet.write_datetime(written, number, value, formats["date"])
            else:
                sheet.write_number(written, number, value)
    return written, truncated


def write_workbook(actor, destination) -> tuple[dict[str, int], list[str]]:
    """The workbook into the file `destination` (a path); returns rows per sheet and the sheets
    cut at ROW_CAP. XlsxWriter's constant-memory mode keeps one row in memory at a time."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        destination,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    counts: dict[str, int] = {}
    truncated: list[str] = []
    for key, title, queryset, columns in sheets(actor):
        counts[key], cut = _write_sheet(workbook, title, queryset, columns, formats)
        if cut:
            truncated.append(key)
    workbook.close()
    return counts, truncated


def exports_visible_to(user):
    return AccountExport.objects.visible_to(user).select_related("requested_by")


@transaction.atomic
def account_export_request(*, actor) -> AccountExport:
    """Queue a full-account export (one waiting per Administrator: a second click reuses it)."""
    if not is_administrator(actor):
        raise ExportRefused
    waiting = AccountExport.objects.filter(requested_by=actor, status=AccountExport.Status.QUEUED).first()
    if waiting is not None:
        return waiting
    export = AccountExport.objects.create(requested_by=actor)
    outbox.enqueue(account_export_run, export_id=export.pk)
    return export


@outbox.queueable
def account_export_run(*, export_id: int) -> None:
    """Write the workbook (in the queued task's transaction: the file is kept only with its row)."""
    export = (
        AccountExport.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=export_id)
    )
    if export.status != AccountExport.Status.QUEUED:
        return
    actor = export.requested_by
    if actor is None or not is_administrator(actor):
        export.status, export.finished_at = AccountExport.Status.FAILED, timezone.now()
        export.message = _("Only an Administrator can export the whole account.")
        export.save(update_fields=["status", "finished_at", "message"])
        return
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as temporary:
        export.counts, export.truncated = write_workbook(actor, temporary.name)
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        with open(temporary.name, "rb") as written:
            export.file.save(f"account-{stamp}-{export.pk}.xlsx", File(written), save=False)
    export.status, export.finished_at = AccountExport.Status.DONE, timezone.now()
    export.save()
    audit_record(actor=actor, verb="export", instance=export, changes=export.counts)
