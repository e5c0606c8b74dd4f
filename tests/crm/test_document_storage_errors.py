"""Uploads and quote PDFs when storage fails for real (a full tmpfs: ENOSPC; a file-size limit:
EFBIG): no file, no row, and "The server could not store the file; try again later." — not 500."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import AuditEvent, Document
from opportunities.models import Quote
from opportunities.sales import services as sales
from tests.factories import DealFactory
from tests.faults import can_mount_tmpfs, full_disk

MIB = 1024 * 1024
COULD_NOT_STORE = "The server could not store the file; try again later."
# Larger than the full filesystem, well under the upload limit (20 MB).
BIG_PDF = b"%PDF-1.4\n" + b"0" * (2 * MIB)


@pytest.fixture(params=["tmpfs", "rlimit"])
def fault_kind(request, tmp_path):
    if request.param == "tmpfs" and not can_mount_tmpfs(tmp_path / "probe"):
        pytest.skip("mounting a tmpfs is not permitted here; the rlimit case covers it")
    return request.param


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()]


def fill_up(path) -> None:
    try:
        with path.open("wb", buffering=0) as filler:
            while True:
                filler.write(b"0" * 1024)
    except OSError:
        pass


def upload(client, company, content=BIG_PDF, **headers):
    url = reverse("documents:document_upload", kwargs={"model_name": "company", "pk": company.pk})
    return client.post(url, {"file": SimpleUploadedFile("scan.pdf", content)}, **headers)


@pytest.mark.fault
def test_an_upload_to_a_full_disk_shows_the_form_again_and_leaves_no_file_and_no_row(
    client, rep, companies_by_owner, media_root, fault_kind
):
    """Measured: 503 with Retry-After and the message on the upload form, 0 files, 0 rows
    (before: a 500 and a 1 MiB partial file left in the media folder)."""
    company = companies_by_owner["rep"]
    client.force_login(rep)
    with full_disk(media_root, size_bytes=MIB, kind=fault_kind):
        response = upload(client, company)
        left_behind = stored_files(media_root)
    print(f"{fault_kind}: status {response.status_code}, files left {len(left_behind)}")
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert COULD_NOT_STORE in response.content.decode()
    assert 'name="file"' in response.content.decode()  # the upload form, to try again
    assert left_behind == []
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(verb="attach document").exists()


@pytest.mark.fault
def test_an_htmx_upload_to_a_full_disk_shows_the_message_in_the_card(
    client, rep, companies_by_owner, media_root, fault_kind
):
    company = companies_by_owner["rep"]
    client.force_login(rep)
    with full_disk(media_root, size_bytes=MIB, kind=fault_kind):
        response = upload(client, company, headers={"HX-Request": "true"})
        left_behind = stored_files(media_root)
    # htmx swaps only 2xx answers, as for every other refused upload.
    assert response.status_code == 200
    assert COULD_NOT_STORE in response.content.decode()
    assert left_behind == []
    assert not Document.objects.exists()


@pytest.mark.fault
def test_an_upload_fits_again_once_there_is_room(client, rep, companies_by_owner, media_root, fault_kind):
    company = companies_by_owner["rep"]
    client.force_login(rep)
    with full_disk(media_root, size_bytes=MIB, kind=fault_kind):
        response = upload(client, company, content=b"%PDF-1.4\nsmall\n")
        assert len(stored_files(media_root)) == 1
    assert response.status_code == 302
    assert Document.objects.count() == 1


@pytest.mark.fault
def test_a_quote_whose_pdf_cannot_be_stored_is_not_made_and_leaves_no_file(rep, media_root, fault_kind):
    """The quote PDF goes through the same storage path: the refusal rolls the quote back."""
    deal = DealFactory(owner=rep)
    sales.deal_line_add(
        actor=rep,
        deal=deal,
        values={"product": None, "description": "Work", "quantity": Decimal(1), "unit_price": Decimal(10)},
    )
    # A PDF of a few kB does not fit: past 1 kB (rlimit), or once the filler took the room left
    # (tmpfs rounds its size up to a page).
    with full_disk(media_root, size_bytes=1024, kind=fault_kind):
        fill_up(media_root / "filler")
        with pytest.raises(ValidationError) as refused:
            sales.quote_create(actor=rep, deal=deal)
        left_behind = stored_files(media_root / "documents") if (media_root / "documents").exists() else []
    assert refused.value.messages == [COULD_NOT_STORE]
    assert left_behind == []
    assert not Quote.objects.exists()
    assert not Document.objects.exists()
