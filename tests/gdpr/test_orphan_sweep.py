"""Export files that no SubjectAccessExport names (a build rolled back after writing them) are
deleted by a daily job; files of live exports, and files young enough to belong to a build that
may still commit, stay. Running it twice changes nothing more."""

import datetime
import os
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.utils import timezone

from gdpr import exports
from gdpr.models import SubjectAccessExport
from tests.factories import PersonFactory

OLD = time.time() - 2 * 3600


def _file(relative: str, *, old: bool = True):
    path = os.path.join(django_settings.MEDIA_ROOT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"{}")
    if old:
        os.utime(path, (OLD, OLD))
    return path


@pytest.fixture
def live_export(personas, media_root):
    person = PersonFactory()
    export = SubjectAccessExport.objects.create(
        requested_by=personas.manager, content_type_id=_person_type(), object_id=person.pk, status="ready"
    )
    export.json_file.save("export.json", ContentFile(b"{}"), save=False)
    export.xlsx_file.save("export.xlsx", ContentFile(b"x"), save=False)
    export.save()
    for field in (export.json_file, export.xlsx_file):
        os.utime(field.path, (OLD, OLD))
    return export


def _person_type():
    from django.contrib.contenttypes.models import ContentType

    from contacts.models import Person

    return ContentType.objects.get_for_model(Person).pk


def test_orphans_go_and_live_or_young_files_stay(live_export):
    orphan = _file("gdpr-exports/2026/11/0b1d-rolled-back.json")
    deep_orphan = _file("gdpr-exports/2025/01/another.xlsx")
    young = _file("gdpr-exports/2026/12/being-built.json", old=False)
    assert exports.exports_sweep_orphans() == 2
    assert not os.path.exists(orphan) and not os.path.exists(deep_orphan)
    assert os.path.exists(young)
    assert os.path.exists(live_export.json_file.path) and os.path.exists(live_export.xlsx_file.path)
    assert exports.exports_sweep_orphans() == 0  # idempotent


def test_young_files_go_once_they_are_old_enough(media_root, db):
    young = _file("gdpr-exports/2026/12/being-built.json", old=False)
    later = timezone.now() + exports.ORPHAN_GRACE + datetime.timedelta(minutes=1)
    assert exports.exports_sweep_orphans(now=later) == 1
    assert not os.path.exists(young)


def test_no_export_folder_is_nothing_to_do(media_root, db):
    assert exports.exports_sweep_orphans() == 0


def test_the_beat_runs_the_sweep_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["gdpr-exports-sweep-orphans"]
    assert entry["task"] == "gdpr.tasks.exports_sweep_orphans"
