"""manage.py import_file: the same import from a file on disk, with a progress bar."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from contacts.models import Company, RequiredField
from crm import lookup_cache
from imports.models import ImportJob


@pytest.fixture
def sheet_path(tmp_path):
    workbook = Workbook()
    workbook.active.append(["Cég", "Telefon", "Weboldal"])
    workbook.active.append(["Kovács Kft", "+36 1 234 5678", "https://kovacs.hu"])
    workbook.active.append(["Nagy Bt", "", ""])
    path = tmp_path / "cegek.xlsx"
    workbook.save(path)
    return path


def test_import_file_imports_with_a_progress_bar(manager, sheet_path, capsys):
    RequiredField.objects.update(is_required=False)
    lookup_cache.clear()
    out = io.StringIO()
    call_command("import_file", str(sheet_path), kind="companies", user=manager.username, stdout=out)
    assert "2 created" in out.getvalue()
    assert "2/2 rows" in capsys.readouterr().out
    assert set(Company.objects.values_list("name", flat=True)) == {"Kovács Kft", "Nagy Bt"}
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_import_file_refuses_a_user_who_may_not_import(rep, sheet_path):
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_file", str(sheet_path), kind="companies", user=rep.username)
    assert not Company.objects.exists()


def test_import_file_says_what_is_wrong_with_the_file(manager, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"%PDF-1.4 \x00\x00")
    with pytest.raises(CommandError, match="not a spreadsheet"):
        call_command("import_file", str(path), kind="companies", user=manager.username)


def test_bench_seed_leaves_a_finished_import_of_the_admins_with_real_rows(db, media_root):
    """The every-route bench opens an import's pages by the ids of this job and its records."""
    from activities.models import Activity
    from crm.models import AuditEvent

    call_command(
        "bench_seed", companies=40, people=100, deals=10, leads=10, card_reps=0, stdout=io.StringIO()
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE and job.owner.has_perm("imports.run_import")
    assert (job.rows_total, job.created, job.rejected) == (2, 2, 0), list(job.rows.values("message"))
    ids = [str(pk) for pk in job.rows.values_list("record_id", flat=True)]
    activities = Activity.objects.filter(pk__in=ids)
    assert sorted(activities.values_list("subject", flat=True)) == [
        "Bench import follow-up",
        "Bench import kick-off",
    ]
    # Written by activities.services: its audit row each, by the importer.
    audit = AuditEvent.objects.filter(verb="created", object_id__in=ids, content_type__model="activity")
    assert audit.filter(actor=job.owner).count() == 2
