"""The wizard through the client: who may import, upload → mapping → start → result, bad files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Company, RequiredField
from crm import lookup_cache
from imports import services
from imports.models import ImportJob

CSV = "Företag;Telefon;Hemsida\nAcme AB;+46 8 123 456;https://acme.se\nBeta Kft;+36 1 234 567;\n".encode()


@pytest.fixture
def relaxed(db):
    RequiredField.objects.update(is_required=False)
    lookup_cache.clear()


def _upload(client, data=CSV, name="companies.csv", kind="companies"):
    return client.post(reverse("imports:job_create"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize(
    ("persona", "status"), [("admin", 200), ("manager", 200), ("rep", 403), ("restricted", 403)]
)
def test_only_administrators_and_managers_may_import(client, personas, persona, status):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse("imports:job_create")).status_code == status
    assert client.get(reverse("imports:job_list")).status_code == status


def test_upload_map_preview_start_and_see_the_result(
    client, manager, relaxed, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    response = _upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and b"Acme AB" in page.content and b"import-preview" in page.content
    post = {"column_0": "name", "column_1": "phone", "column_2": "website", "mode": "create_or_update",
            "match_key": "name", "save_as": "Old CRM", "start": "1"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job.get_absolute_url(), post)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 2
    assert set(Company.objects.values_list("name", flat=True)) == {"Acme AB", "Beta Kft"}
    progress = client.get(reverse("imports:job_progress", kwargs={"pk": job.pk}))
    assert progress.status_code == 200 and b"hx-get" not in progress.content  # finished: no more polling


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"%PDF-1.4 \x00\x00", "fake.xlsx"), (b"PK\x03\x04junk", "broken.xlsx"), (b"", "empty.csv")],
)
def test_a_bad_file_gets_a_message_and_no_import(client, manager, data, name):
    client.force_login(manager)
    response = _upload(client, data=data, name=name)
    assert response.status_code == 200
    assert b"invalid-feedback" in response.content or b"alert" in response.content
    assert not ImportJob.objects.exists()


def test_pasted_cells_make_an_import(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("imports:job_create"), {"kind": "people", "pasted": "E-post\tFörnamn\na@b.se\tAnna"}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.mapping == {"0": "email", "1": "first_name"}


def test_an_import_outside_a_narrowed_managers_teams_is_not_found(
    client, personas, relaxed, managers_see_only_their_teams
):
    job = services.job_create(actor=personas.admin, kind="companies", data=CSV, file_name="x.csv")
    client.force_login(personas.manager)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(reverse("imports:job_cancel", kwargs={"pk": job.pk})).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT


def test_a_rep_cannot_open_or_cancel_an_import(client, personas, relaxed):
    job = services.job_create(actor=personas.manager, kind="companies", data=CSV, file_name="x.csv")
    client.force_login(personas.rep)
    assert client.get(job.get_absolute_url()).status_code == 403
    assert client.post(reverse("imports:job_cancel", kwargs={"pk": job.pk})).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT


def test_a_rejected_row_is_downloadable(client, manager, relaxed):
    data = "Företag;Hemsida\nAcme AB;not a url at all\n".encode()
    job = services.job_create(actor=manager, kind="companies", data=data, file_name="x.csv")
    services.job_start(actor=manager, job=job)
    services.job_run_here(job=job)
    client.force_login(manager)
    response = client.get(reverse("imports:job_rejected_download", kwargs={"pk": job.pk}))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")


def test_mass_assigned_mapping_fields_are_refused(client, manager):
    client.force_login(manager)
    _upload(client)
    job = ImportJob.objects.get()
    response = client.post(job.get_absolute_url(), {"column_0": "owner_id", "mode": "create", "start": "1"})
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT


@pytest.mark.parametrize(
    ("list_name", "kind"),
    [
        ("contacts:company_list", "companies"),
        ("contacts:person_list", "people"),
        ("leads:lead_list", "leads"),
    ],
)
def test_the_lists_offer_import_to_who_may_import(client, personas, list_name, kind):
    """Seed 003: "Import" beside "New …" on each list, plugged in through crm.listings."""
    link = f'href="{reverse("imports:job_create")}?kind={kind}"'
    for user, offered in [(personas.manager, True), (personas.admin, True), (personas.rep, False)]:
        client.force_login(user)
        html = client.get(reverse(list_name)).content.decode()
        assert (link in html) is offered, user


@pytest.mark.parametrize(
    ("form_name", "kind"), [("contacts:company_create", "companies"), ("contacts:person_create", "people")]
)
def test_the_new_customer_forms_offer_import_to_who_may_import(client, personas, form_name, kind):
    """Seed 003: "Import" inside the "New customer" dialog too, plugged in through crm.listings."""
    link = f'href="{reverse("imports:job_create")}?kind={kind}"'
    for user, offered in [(personas.manager, True), (personas.admin, True), (personas.rep, False)]:
        client.force_login(user)
        html = client.get(reverse(form_name)).content.decode()
        assert (link in html) is offered, user
