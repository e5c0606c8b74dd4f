"""A stored file follows its document row: a transaction that rolls back after document_attach
wrote the file takes the file with it, and the hourly sweep removes what a process that died
first left behind (crm.documents)."""

import os
import time

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from crm import documents, tasks
from crm.models import Document
from tests.factories import CompanyFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# Transactions must really commit and roll back here; the seeded rows come back afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class QuoteFailed(Exception):
    """What the caller's later step raises in these tests (a quote that cannot be saved)."""


@pytest.fixture
def company(rep):
    return CompanyFactory(name="Acme", owner=rep)


def attach(actor, record) -> Document:
    return documents.document_attach(
        actor=actor, record=record, uploaded_file=SimpleUploadedFile("quote.pdf", PDF)
    )


def stored(name: str) -> bool:
    return default_storage.exists(name)


def age(name: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))


def test_a_file_attached_in_a_transaction_that_fails_later_is_removed(rep, company, media_root):
    with pytest.raises(QuoteFailed), transaction.atomic():
        document = attach(rep, company)
        assert stored(document.file.name)
        raise QuoteFailed

    assert not Document.objects.exists()
    assert not stored(document.file.name)


def test_a_file_attached_in_a_rolled_back_savepoint_is_removed_while_the_outer_transaction_commits(
    rep, company, media_root
):
    with transaction.atomic():
        kept = attach(rep, company)
        with pytest.raises(QuoteFailed), transaction.atomic():
            dropped = attach(rep, company)
            raise QuoteFailed

    assert list(Document.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stored(kept.file.name)
    assert not stored(dropped.file.name)


def test_a_file_attached_in_a_committed_transaction_is_kept(rep, company, media_root):
    with transaction.atomic():
        document = attach(rep, company)

    assert Document.objects.filter(pk=document.pk).exists()
    assert stored(document.file.name)


def test_a_file_attached_outside_any_transaction_is_kept(rep, company, media_root):
    document = attach(rep, company)

    assert stored(document.file.name)


def test_the_sweep_removes_the_file_of_an_outer_rollback_and_keeps_a_committed_documents_file(
    rep, company, media_root, monkeypatch
):
    committed = attach(rep, company)
    # As if the process died before its rollback could remove the file.
    monkeypatch.setattr(documents, "_remove_file_on_rollback", lambda storage, name: None)
    with pytest.raises(QuoteFailed), transaction.atomic():
        orphan = attach(rep, company)
        raise QuoteFailed
    assert stored(orphan.file.name)
    age(orphan.file.name, hours=2)
    age(committed.file.name, hours=2)

    assert documents.documents_sweep_orphans() == 1

    assert not stored(orphan.file.name)
    assert stored(committed.file.name)


def test_the_sweep_leaves_a_young_file_whose_upload_may_not_have_committed_yet(media_root):
    young = default_storage.save("documents/2026/01/in-flight", ContentFile(PDF))
    old = default_storage.save("documents/2025/12/left-behind", ContentFile(PDF))
    age(young, hours=0.5)
    age(old, hours=1.5)

    assert documents.documents_sweep_orphans() == 1

    assert stored(young)
    assert not stored(old)


def test_the_sweep_ignores_files_outside_the_documents_folder(media_root):
    other = default_storage.save("exports/report.csv", ContentFile(b"a,b\n"))
    age(other, hours=5)

    assert documents.documents_sweep_orphans() == 0

    assert stored(other)


def test_the_sweep_runs_hourly_as_a_celery_task(rep, company, media_root):
    orphan = default_storage.save("documents/2025/12/left-behind", ContentFile(PDF))
    age(orphan, hours=3)

    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "crm.tasks.documents_sweep_orphans"
    ]
    assert [entry["schedule"] for entry in entries] == [3600.0]
    assert tasks.documents_sweep_orphans() == 1
    assert not stored(orphan)
