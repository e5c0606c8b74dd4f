"""The subject-access export built in the background: JSON and XLSX files only the requester
downloads, while they may see the person; every build and download logged."""

import io
import json

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from crm import outbox
from crm.models import OrganisationSettings, QueuedTask
from gdpr import exports
from gdpr.models import GdprEvent, SubjectAccessExport
from tests.factories import LeadFactory, PersonFactory

EXPORTS = "gdpr:person_subject_access_exports"


def _run_queued():
    for pk in QueuedTask.objects.values_list("pk", flat=True):
        outbox.run_queued(pk)


@pytest.fixture
def person(personas):
    return PersonFactory(
        first_name="Greta",
        last_name="Subjekt",
        email="greta@subjekt.example",
        title='=HYPERLINK("http://evil")',
        owner=personas.manager,
        consent_email=True,
        consent_source="Newsletter form",
        unsubscribed_at=timezone.now(),
    )


def _request_and_build(client, user, person):
    client.force_login(user)
    response = client.post(reverse(EXPORTS, args=[person.pk]))
    assert response.status_code == 302
    _run_queued()
    return SubjectAccessExport.objects.get(requested_by=user, object_id=person.pk)


def test_a_requested_export_is_built_by_a_worker_as_json_and_xlsx(client, personas, person, media_root):
    LeadFactory(last_name="Leadcopy", owner=personas.manager, converted_person=person)
    export = _request_and_build(client, personas.manager, person)
    assert export.status == "ready"
    page = client.get(reverse(EXPORTS, args=[person.pk])).content.decode()
    assert f"export={export.pk}" in page
    url = reverse(EXPORTS, args=[person.pk])
    data = json.loads(b"".join(client.get(url, {"export": export.pk, "format": "json"}).streaming_content))
    assert data["fields"]["e-mail"] == "greta@subjekt.example"
    assert data["consent"]["consent source"] == "Newsletter form" and data["consent"]["unsubscribed"]
    response = client.get(url, {"export": export.pk, "format": "xlsx"})
    assert response["Content-Disposition"].startswith("attachment")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert {"Fields", "Consent", "Leads", "Documents", "GDPR log"} <= set(workbook.sheetnames)
    cells = {row[0]: row[1] for row in workbook["Fields"].iter_rows(min_row=2, values_only=True)}
    assert cells["e-mail"] == "greta@subjekt.example"
    assert cells["title"].startswith("'=")  # a formula in the data stays text
    title_cell = next(row[1] for row in workbook["Fields"].iter_rows(min_row=2) if row[0].value == "title")
    assert title_cell.data_type == "s"
    consent = {row[0]: row[1] for row in workbook["Consent"].iter_rows(min_row=2, values_only=True)}
    assert consent["consent source"] == "Newsletter form"
    assert any(
        "Leadcopy" in str(cell) for row in workbook["Leads"].iter_rows(values_only=True) for cell in row
    )
    downloads = GdprEvent.objects.filter(action="export", object_id=person.pk, detail__download__isnull=False)
    assert sorted(event.detail["download"] for event in downloads) == ["json", "xlsx"]
    assert GdprEvent.objects.filter(action="export", object_id=person.pk, actor=personas.manager).count() == 3


def test_building_twice_writes_once(client, personas, person, media_root):
    export = _request_and_build(client, personas.manager, person)
    exports.subject_access_build(export_id=str(export.pk))
    assert GdprEvent.objects.filter(action="export", object_id=person.pk).count() == 1


def test_another_user_cannot_download_someone_elses_export(client, personas, person, media_root):
    export = _request_and_build(client, personas.manager, person)
    client.force_login(personas.admin)
    url = reverse(EXPORTS, args=[person.pk])
    assert client.get(url, {"export": export.pk, "format": "json"}).status_code == 404
    assert f"export={export.pk}" not in client.get(url).content.decode()


@pytest.mark.parametrize(
    "query", [{"export": "not-a-uuid", "format": "json"}, {"export": "", "format": "xlsx"}, {"format": "csv"}]
)
def test_bad_download_parameters_answer_404(client, personas, person, media_root, query):
    export = _request_and_build(client, personas.manager, person)
    query = {"export": str(export.pk), **query}
    assert client.get(reverse(EXPORTS, args=[person.pk]), query).status_code == 404


def test_a_rep_without_the_permission_is_refused_and_nothing_is_queued(client, personas, media_root):
    person = PersonFactory(owner=personas.rep)
    client.force_login(personas.rep)
    assert client.post(reverse(EXPORTS, args=[person.pk])).status_code == 403
    assert client.get(reverse(EXPORTS, args=[person.pk])).status_code == 403
    assert not SubjectAccessExport.objects.exists() and not QueuedTask.objects.exists()


def test_an_export_requested_before_the_person_was_hidden_is_not_built(client, personas, media_root):
    rep = personas.rep
    rep.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
    person = PersonFactory(owner=rep)
    client.force_login(rep)
    assert client.post(reverse(EXPORTS, args=[person.pk])).status_code == 302
    type(person).objects.filter(pk=person.pk).update(owner=personas.rep_other_team)
    settings_row = OrganisationSettings.load()
    settings_row.reps_see_only_own_customers = True
    settings_row.save()
    _run_queued()
    export = SubjectAccessExport.objects.get()
    assert export.status == "failed" and not export.json_file
    assert not GdprEvent.objects.filter(action="export").exists()
