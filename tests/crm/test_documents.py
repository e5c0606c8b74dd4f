"""Documents of companies and people: the upload rules, the services and the three routes."""

import io
import os
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from contacts.models import Person
from crm import access, document_views, documents
from crm.documents import validate_upload
from crm.models import AuditEvent, Document
from tests.factories import CompanyFactory

MIB = 1024 * 1024


def short_id(value):
    """Test ids without the bytes of each sample file."""
    return "bytes" if isinstance(value, bytes) else None


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run"
)
EML = b"From: anna@example.com\r\nTo: bo@example.com\r\nSubject: Offer\r\n\r\nHej!\r\n"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            # OpenDocument wants its mimetype first and uncompressed.
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compression)
    return buffer.getvalue()


def ooxml(folder: str, part: str) -> bytes:
    return zip_bytes(
        {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", f"{folder}/{part}": b"<x/>"}
    )


def odf(kind: str) -> bytes:
    return zip_bytes(
        {"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(), "content.xml": b"<office/>"}
    )


def zeros_docx(size: int) -> bytes:
    """A .docx whose main part is `size` bytes of zeros: a zip bomb in miniature, built in chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _chunk in range(size // MIB):
                member.write(bytes(MIB))
    return buffer.getvalue()


DOCX = ooxml("word", "document.xml")
XLSX = ooxml("xl", "workbook.xml")
PPTX = ooxml("ppt", "presentation.xml")
ODT = odf("text")
ODS = odf("spreadsheet")


# -- validate_upload --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "mime_type"),
    [
        ("offer.pdf", PDF, "application/pdf"),
        ("logo.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("modern.webp", WEBP, "image/webp"),
        ("notes.txt", "Hej världen, ő ű\n".encode(), "text/plain"),
        ("people.csv", "name;city\nÅsa;Malmö\n".encode(), "text/csv"),
        ("people.csv", "name;city\nÅsa;Malmö\n".encode("latin-1"), "text/csv"),
        ("letter.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pitch.pptx", PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("letter.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("budget.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet"),
        ("thread.eml", EML, "message/rfc822"),
    ],
    ids=short_id,
)
def test_a_good_file_of_each_allowed_type_is_accepted_with_its_mime_type(name, content, mime_type):
    assert validate_upload(SimpleUploadedFile(name, content)) == (name, mime_type)


@pytest.mark.parametrize(
    ("raw_name", "safe_name"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\anna\\Desktop\\offer.pdf", "offer.pdf"),
        ("  quarterly \t  report .pdf", "quarterly report.pdf"),
        ("bad\x00name\r\n\x1b.pdf", "badname.pdf"),
        ("invoice\u202efdp.pdf", "invoicefdp.pdf"),
        ("offer.pdf. . ", "offer.pdf"),
        (".pdf", "document.pdf"),
        ("../.pdf", "document.pdf"),
        ("REPORT.PDF", "REPORT.pdf"),
        ("Offert för Åsa.pdf", "Offert för Åsa.pdf"),
    ],
)
def test_the_uploaders_file_name_is_reduced_to_a_safe_base_name(raw_name, safe_name):
    assert validate_upload(ContentFile(PDF, name=raw_name))[0] == safe_name


def test_a_long_file_name_is_cut_to_150_characters_keeping_its_extension():
    name, _mime = validate_upload(ContentFile(PDF, name="x" * 400 + ".pdf"))
    assert len(name) == 150
    assert name.endswith("x.pdf")


def refusal(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        validate_upload(ContentFile(content, name=name))
    return raised.value


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("offer.pdf", b"", "empty", "The file is empty."),
        (
            "setup.exe",
            EXE,
            "type_not_allowed",
            "Files of type .exe cannot be attached. Allowed types: csv, docx",
        ),
        ("archive.zip", DOCX, "type_not_allowed", "Files of type .zip cannot be attached."),
        ("page.html", b"<script>alert(1)</script>", "type_not_allowed", "Files of type .html cannot be"),
        ("README", b"hello", "type_not_allowed", "The file name has no extension"),
        ("invoice.pdf", EXE, "content_mismatch", "does not match its .pdf extension"),
        ("invoice.pdf", b"<html><script>alert(1)</script>", "content_mismatch", ".pdf extension"),
        ("photo.jpg", PNG, "content_mismatch", "does not match its .jpg extension"),
        ("logo.png", GIF, "content_mismatch", ".png extension"),
        ("anim.gif", EXE, "content_mismatch", ".gif extension"),
        ("modern.webp", b"RIFF\x1a\x00\x00\x00WAVEfmt ", "content_mismatch", ".webp extension"),
        ("letter.docx", PDF, "content_mismatch", ".docx extension"),
        ("letter.docx", XLSX, "content_mismatch", ".docx extension"),
        ("budget.xlsx", PPTX, "content_mismatch", ".xlsx extension"),
        ("budget.ods", ODT, "content_mismatch", ".ods extension"),
        ("thread.eml", b"just some words\n", "content_mismatch", ".eml extension"),
        ("letter.docx", b"PK\x03\x04 but no zip follows", "zip_invalid", "is not really a .docx file"),
        ("letter.odt", zip_bytes({"content.xml": b"<x/>"}), "zip_invalid", "is not really a .odt file"),
        ("notes.txt", b"text\x00with a NUL", "not_text", "contains binary data, not text"),
        ("people.csv", b"a;b\n\x00\x01\x02", "not_text", "contains binary data"),
        ("notes.txt", "Malmö".encode("latin-1"), "not_text", "is not UTF-8 text"),
        ("thread.eml", EML + "Malmö".encode("latin-1"), "not_text", "is not UTF-8 text"),
    ],
    ids=short_id,
)
def test_a_bad_file_is_refused_with_a_message_saying_why(name, content, code, message):
    error = refusal(name, content)
    assert error.code == code
    assert message in error.messages[0]


def test_an_odt_with_corrupt_compressed_data_is_refused_as_damaged():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" * 3)
    data = bytearray(buffer.getvalue())
    start = 30 + len("mimetype")  # the member's data follows its local header and name
    data[start : start + 8] = b"\xff" * 8
    error = refusal("letter.odt", bytes(data))
    assert error.code == "zip_invalid"


def test_a_file_over_the_limit_is_refused_naming_the_limit_in_megabytes(settings):
    settings.CRM_DOCUMENT_MAX_BYTES = MIB
    error = refusal("offer.pdf", PDF + bytes(MIB))
    assert (error.code, error.messages) == ("too_large", ["The file is larger than the limit of 1 MB."])
    assert validate_upload(ContentFile(PDF + bytes(MIB - len(PDF)), name="offer.pdf"))


def test_the_default_size_limit_is_20_megabytes():
    file = ContentFile(PDF, name="offer.pdf")
    file.size = 20 * MIB + 1  # no need to build 20 MB for the size check
    with pytest.raises(ValidationError) as raised:
        validate_upload(file)
    assert raised.value.messages == ["The file is larger than the limit of 20 MB."]


def test_a_docx_that_expands_200_times_its_size_is_refused_as_a_zip_bomb():
    bomb = zeros_docx(5 * MIB)
    assert len(bomb) < 50_000
    error = refusal("letter.docx", bomb)
    assert error.code == "zip_bomb"
    assert "possible zip bomb" in error.messages[0]


def test_a_docx_declaring_more_than_200_megabytes_is_refused_without_extracting_it():
    error = refusal("letter.docx", zeros_docx(201 * MIB))
    assert error.code == "zip_bomb"
    assert "would expand to more than 200 MB" in error.messages[0]


def test_the_uncompressed_limit_is_a_setting(settings):
    settings.CRM_DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES = MIB
    incompressible = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": os.urandom(2 * MIB)})
    error = refusal("letter.docx", incompressible)
    assert error.code == "zip_bomb"
    assert "more than 1 MB" in error.messages[0]


def test_allowed_types_are_a_setting(settings):
    settings.CRM_DOCUMENT_ALLOWED_EXTENSIONS = ["pdf", ".MSG"]
    assert refusal("logo.png", PNG).messages == [
        "Files of type .png cannot be attached. Allowed types: msg, pdf."
    ]
    # A type this module has no content check for is stored as plain bytes.
    assert validate_upload(ContentFile(b"\xd0\xcf\x11\xe0", name="mail.msg")) == (
        "mail.msg",
        "application/octet-stream",
    )


def test_the_file_is_rewound_after_validation():
    upload = SimpleUploadedFile("people.csv", b"a;b\n1;2\n")
    validate_upload(upload)
    assert upload.read() == b"a;b\n1;2\n"


# -- Services and selector --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def attach(actor, record, name="offer.pdf", content=PDF) -> Document:
    return documents.document_attach(
        actor=actor, record=record, uploaded_file=SimpleUploadedFile(name, content)
    )


def test_attaching_stores_the_file_under_our_own_name_and_audits_it(rep, companies_by_owner, media_root):
    company = companies_by_owner["rep"]
    document = attach(rep, company)
    assert (document.record, document.name, document.mime_type, document.size) == (
        company, "offer.pdf", "application/pdf", len(PDF)
    )  # fmt: skip
    assert document.uploaded_by == rep
    (path,) = stored_files(media_root)
    assert path.read_bytes() == PDF
    assert path.relative_to(media_root).parts[0] == "documents"
    assert path.name == str(document.pk)
    event = AuditEvent.objects.get(verb="attach document")
    assert (event.actor, event.object_id, event.changes) == (rep, str(company.pk), {"document": "offer.pdf"})


def test_a_refused_file_creates_no_document_and_no_file(rep, companies_by_owner, media_root):
    with pytest.raises(ValidationError):
        attach(rep, companies_by_owner["rep"], name="invoice.pdf", content=EXE)
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_a_failed_insert_removes_the_stored_file(rep, companies_by_owner, media_root, monkeypatch):
    def broken_audit(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        attach(rep, companies_by_owner["rep"])
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_documents_of_lists_only_that_records_documents(rep, companies_by_owner):
    company = companies_by_owner["rep"]
    namesake = Person.objects.create(pk=company.pk, first_name="Same", last_name="Id", owner=rep)
    mine = attach(rep, company, name="mine.pdf")
    attach(rep, companies_by_owner["unassigned"], name="other.pdf")
    attach(rep, namesake, name="person.pdf")
    assert list(documents.documents_of(company)) == [mine]
    assert [document.name for document in documents.documents_of(namesake)] == ["person.pdf"]


def test_documents_of_loads_the_uploaders_in_the_same_query(
    rep, companies_by_owner, django_assert_num_queries
):
    company = companies_by_owner["rep"]
    for number in range(3):
        attach(rep, company, name=f"file {number}.pdf")
    with django_assert_num_queries(1):
        assert {str(document.uploaded_by) for document in documents.documents_of(company)} == {str(rep)}


def test_deleting_removes_the_row_and_after_commit_the_file(
    rep, companies_by_owner, media_root, django_capture_on_commit_callbacks
):
    company = companies_by_owner["rep"]
    document = attach(rep, company)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        documents.document_delete(actor=rep, document=document)
        assert not Document.objects.exists()
        assert len(stored_files(media_root)) == 1  # still there until the delete commits
    for callback in callbacks:
        callback()
    assert stored_files(media_root) == []
    event = AuditEvent.objects.get(verb="delete document")
    assert (event.object_id, event.changes) == (str(company.pk), {"document": "offer.pdf"})


# -- Views ------------------------------------------------------------------------------------


def upload_url(record) -> str:
    return reverse(
        "documents:document_upload", kwargs={"model_name": record._meta.model_name, "pk": record.pk}
    )


def download_url(document) -> str:
    return reverse("documents:document_download", kwargs={"pk": document.pk})


def delete_url(document) -> str:
    return reverse("documents:document_delete", kwargs={"pk": document.pk})


def upload(client, record, name="offer.pdf", content=PDF, **headers):
    return client.post(upload_url(record), {"file": SimpleUploadedFile(name, content)}, headers=headers)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_rep_uploads_a_pdf_to_own_company(client, rep, companies_by_owner, media_root):
    company = companies_by_owner["rep"]
    client.force_login(rep)
    response = upload(client, company)
    assert response.status_code == 302
    assert response["Location"] == company.get_absolute_url()
    assert flashed(response) == ["offer.pdf attached."]
    document = Document.objects.get()
    assert document.record == company
    assert [path.read_bytes() for path in stored_files(media_root)] == [PDF]
    assert AuditEvent.objects.filter(verb="attach document", object_id=str(company.pk)).exists()


def test_an_htmx_upload_answers_with_the_card_listing_the_new_document(client, rep, companies_by_owner):
    company = companies_by_owner["rep"]
    attach(rep, company, name="older.pdf")
    client.force_login(rep)
    response = upload(client, company, name="newer.pdf", hx_request="true")
    assert response.status_code == 200
    assert response.templates[0].name == "crm/partials/documents.html"
    page = response.content.decode()
    assert page.index("newer.pdf") < page.index("older.pdf")
    assert download_url(Document.objects.get(name="newer.pdf")) in page
    assert 'hx-encoding="multipart/form-data"' in page


def test_a_document_can_be_attached_to_a_person(client, rep):
    person = Person.objects.create(first_name="Åsa", last_name="Berg", owner=rep)
    client.force_login(rep)
    response = upload(client, person, hx_request="true")
    assert response.status_code == 200
    document = Document.objects.get()
    assert (document.record, document.content_type.model) == (person, "person")
    assert client.get(download_url(document)).status_code == 200


@pytest.mark.parametrize("model_name", ["user", "auditevent", "document", "team"])
def test_upload_to_anything_but_a_registered_record_kind_is_not_found(client, admin, model_name):
    client.force_login(admin)
    url = reverse("documents:document_upload", kwargs={"model_name": model_name, "pk": admin.pk})
    assert client.post(url, {"file": SimpleUploadedFile("offer.pdf", PDF)}).status_code == 404
    assert not Document.objects.exists()


@pytest.mark.parametrize("persona", ["admin", "manager", "rep", "rep_other_team"])
def test_a_user_who_sees_the_company_downloads_the_bytes_as_an_attachment(
    client, personas, companies_by_owner, persona
):
    document = attach(personas.rep, companies_by_owner["rep"], name="Offert för Åsa.pdf")
    client.force_login(getattr(personas, persona))
    response = client.get(download_url(document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Offert%20f%C3%B6r%20%C3%85sa.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_text_file_is_downloaded_as_an_attachment_too_never_inline(client, rep, companies_by_owner):
    document = attach(rep, companies_by_owner["rep"], name="notes.txt", content=b"<script>alert(1)</script>")
    client.force_login(rep)
    response = client.get(download_url(document))
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"] == "text/plain"


def test_restricted_user_cannot_download_document_of_hidden_company(
    client, rep, restricted, companies_by_owner
):
    document = attach(rep, companies_by_owner["rep"])
    client.force_login(restricted)
    assert client.get(download_url(document)).status_code == 404
    missing = reverse("documents:document_download", kwargs={"pk": "00000000-0000-4000-8000-000000000000"})
    assert client.get(missing).status_code == 404


def test_rep_cannot_download_document_of_hidden_company_when_reps_see_only_their_own(
    client, rep, rep_other_team, companies_by_owner, reps_see_only_own
):
    document = attach(rep_other_team, companies_by_owner["rep_other_team"])
    client.force_login(rep)
    assert client.get(download_url(document)).status_code == 404


def test_restricted_user_downloads_document_of_own_company(client, restricted, companies_by_owner):
    document = attach(restricted, companies_by_owner["restricted"])
    client.force_login(restricted)
    assert client.get(download_url(document)).status_code == 200


def test_a_document_whose_file_is_gone_answers_not_found(client, rep, companies_by_owner, media_root):
    document = attach(rep, companies_by_owner["rep"])
    for path in stored_files(media_root):
        path.unlink()
    client.force_login(rep)
    assert client.get(download_url(document)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, rep, companies_by_owner):
    document = attach(rep, companies_by_owner["rep"])
    for response in (
        client.get(download_url(document)),
        client.post(delete_url(document)),
        client.post(upload_url(companies_by_owner["rep"])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert Document.objects.count() == 1


def test_upload_and_delete_answer_only_post(client, rep, companies_by_owner):
    document = attach(rep, companies_by_owner["rep"])
    client.force_login(rep)
    assert client.get(upload_url(companies_by_owner["rep"])).status_code == 405
    assert client.get(delete_url(document)).status_code == 405
    assert Document.objects.count() == 1


def test_rep_other_team_cannot_upload_to_a_company_they_only_see(client, rep_other_team, companies_by_owner):
    client.force_login(rep_other_team)
    assert upload(client, companies_by_owner["rep"]).status_code == 403
    assert not Document.objects.exists()


def test_restricted_user_cannot_upload_to_hidden_company(client, restricted, companies_by_owner, media_root):
    client.force_login(restricted)
    assert upload(client, companies_by_owner["rep"]).status_code == 404
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_rep_other_team_cannot_delete_document_of_a_company_they_only_see(
    client, rep, rep_other_team, companies_by_owner
):
    document = attach(rep, companies_by_owner["rep"])
    client.force_login(rep_other_team)
    assert client.post(delete_url(document)).status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()


def test_restricted_user_lacks_the_permission_to_delete_even_own_documents(
    client, restricted, companies_by_owner
):
    document = attach(restricted, companies_by_owner["restricted"])
    client.force_login(restricted)
    assert client.post(delete_url(document)).status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()


def test_a_user_allowed_to_delete_documents_still_cannot_delete_one_of_a_hidden_company(
    client, rep, restricted, companies_by_owner
):
    document = attach(rep, companies_by_owner["rep"])
    restricted.user_permissions.add(Permission.objects.get(codename="delete_document"))
    client.force_login(restricted)
    assert client.post(delete_url(document)).status_code == 404
    assert Document.objects.filter(pk=document.pk).exists()


def test_manager_deletes_a_document_of_their_teams_company(
    client, rep, manager, companies_by_owner, media_root, django_capture_on_commit_callbacks
):
    company = companies_by_owner["rep"]
    document = attach(rep, company)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(document))
    assert response["Location"] == company.get_absolute_url()
    assert flashed(response) == ["offer.pdf deleted."]
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
    assert AuditEvent.objects.get(verb="delete document").actor == manager


BOMB = zeros_docx(5 * MIB)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("offer.pdf", b"", "The file is empty."),
        ("offer.pdf", PDF + bytes(2 * MIB), "The file is larger than the limit of 1 MB."),
        ("setup.exe", EXE, "Files of type .exe cannot be attached."),
        ("invoice.pdf", EXE, "does not match its .pdf extension"),
        ("letter.docx", BOMB, "possible zip bomb"),
        ("letter.docx", PDF, "does not match its .docx extension"),
        ("letter.docx", b"PK\x03\x04" + bytes(100), "is not really a .docx file"),
    ],
    ids=["empty", "oversized", "exe", "exe renamed pdf", "zip bomb", "pdf renamed docx", "docx not a zip"],
)
def test_a_bad_upload_is_refused_with_a_clear_message_and_nothing_is_saved(
    client, settings, rep, companies_by_owner, media_root, name, content, message
):
    settings.CRM_DOCUMENT_MAX_BYTES = MIB
    company = companies_by_owner["rep"]
    client.force_login(rep)
    response = upload(client, company, name=name, content=content)
    assert response.status_code == 302
    assert response["Location"] == company.get_absolute_url()
    (flash,) = flashed(response)
    assert flash.startswith("The file was not attached: ")
    assert message in flash
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(verb="attach document").exists()


def test_a_bad_htmx_upload_shows_the_error_in_the_card(client, rep, companies_by_owner):
    client.force_login(rep)
    response = upload(client, companies_by_owner["rep"], name="setup.exe", content=EXE, hx_request="true")
    assert response.status_code == 200
    assert response.context["document_error"].startswith("Files of type .exe cannot be attached.")
    assert "Files of type .exe cannot be attached." in response.content.decode()
    assert not Document.objects.exists()


def test_a_post_without_a_file_asks_for_one(client, rep, companies_by_owner):
    client.force_login(rep)
    response = client.post(upload_url(companies_by_owner["rep"]), {})
    assert flashed(response) == ["The file was not attached: Choose a file to attach."]
    assert not Document.objects.exists()


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A hand-made request body: the test client would strip the directories itself."""
    boundary = "document-boundary"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    )
    return (
        head.encode() + content + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


@pytest.mark.parametrize(
    ("filename", "stored_name"),
    [("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\windows\\evil.pdf", "evil.pdf")],
)
def test_a_path_traversal_name_is_stored_safely_under_media_root(
    client, rep, companies_by_owner, media_root, filename, stored_name
):
    client.force_login(rep)
    body, content_type = multipart(filename, PDF)
    response = client.generic("POST", upload_url(companies_by_owner["rep"]), body, content_type=content_type)
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.name == stored_name
    (path,) = stored_files(media_root)
    assert path.resolve().is_relative_to((media_root / "documents").resolve())
    assert path.name == str(document.pk)


def test_a_file_name_with_markup_is_shown_as_text(client, rep, companies_by_owner):
    attach(rep, companies_by_owner["rep"], name="<svg onload=alert(1)>.pdf")
    client.force_login(rep)
    page = upload(client, companies_by_owner["rep"], hx_request="true").content.decode()
    assert "<svg onload" not in page
    assert "&lt;svg onload=alert(1)&gt;.pdf" in page


# -- The card ---------------------------------------------------------------------------------


def render_card(user, record) -> str:
    request = RequestFactory().get("/")
    request.user = user
    context = document_views.documents_panel_context(record, can_edit=access.can_edit(user, record))
    return render_to_string("crm/partials/documents.html", context, request=request)


def test_the_card_offers_upload_and_delete_to_those_who_may_edit(rep, companies_by_owner):
    company = companies_by_owner["rep"]
    document = attach(rep, company)
    card = render_card(rep, company)
    assert f'action="{upload_url(company)}"' in card
    assert f'hx-post="{upload_url(company)}"' in card
    assert 'enctype="multipart/form-data"' in card
    assert f'action="{delete_url(document)}"' in card
    assert "csrfmiddlewaretoken" in card
    assert "Up to 20 MB." in card
    assert " style=" not in card
    assert "<script" not in card


def test_the_card_is_read_only_for_a_user_who_only_sees_the_record(rep, rep_other_team, companies_by_owner):
    company = companies_by_owner["rep"]
    document = attach(rep, company)
    card = render_card(rep_other_team, company)
    assert download_url(document) in card
    assert upload_url(company) not in card
    assert delete_url(document) not in card


def test_the_card_hides_delete_from_a_role_without_the_permission(restricted, companies_by_owner):
    company = companies_by_owner["restricted"]
    document = attach(restricted, company)
    card = render_card(restricted, company)
    assert upload_url(company) in card
    assert delete_url(document) not in card


def test_the_card_says_when_there_are_no_documents(rep):
    company = CompanyFactory(owner=rep)
    assert "No documents yet." in render_card(rep, company)
