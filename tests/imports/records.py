"""Import jobs for the access matrix and the growth test (tests/test_access_matrix.py's `records`
and tests/test_page_growth.py's world take them from here, as "import_job")."""

from imports.models import ImportJob, ImportRow

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def import_jobs_by_owner(personas) -> dict[str, ImportJob]:
    """One import per persona, run by them (an import is visible to its importer and to
    Administrators; only Administrators and Managers hold imports.run_import)."""
    jobs = {}
    for key in OWNER_KEYS:
        job = ImportJob.objects.create(
            owner=getattr(personas, key), kind="people", file_name=f"{key}.csv", headers=["E-mail"]
        )
        ImportRow.objects.create(job=job, number=2, cells=[f"{key}@example.com"])
        jobs[key] = job
    return jobs


def grow_import_rows(job: ImportJob, count: int, start: int = 0) -> None:
    """`count` more staged rows on `job` (the preview caps what it shows; the rejected-rows
    download is an export of every rejected row, so the rows grown here wait)."""
    ImportRow.objects.bulk_create(
        ImportRow(job=job, number=1000 + number, cells=[f"grow{number}@example.com"])
        for number in range(start, start + count)
    )
