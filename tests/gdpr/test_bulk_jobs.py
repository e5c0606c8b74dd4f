"""Bulk anonymisation of many people runs in the background, a batch per queued task, and its
page polls the progress (htmx, the same template's fragment)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from contacts.models import Person
from crm import outbox
from crm.models import QueuedTask
from gdpr import bulk_jobs
from gdpr.models import BulkAnonymisation
from tests.factories import PersonFactory

BULK = "gdpr:contact_bulk"
PROGRESS = "gdpr:bulk_job_progress"


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(bulk_jobs, "BACKGROUND_FROM", 3)
    monkeypatch.setattr(bulk_jobs, "BATCH", 2)


def _run_one_queued() -> bool:
    pk = QueuedTask.objects.order_by("pk").values_list("pk", flat=True).first()
    if pk is None:
        return False
    outbox.run_queued(pk)
    return True


def _start(client, user, count=5):
    people = [PersonFactory(first_name="Manyperson") for _ in range(count)]
    client.force_login(user)
    ids = [person.pk for person in people]
    confirm = client.get(reverse(BULK), {"action": "anonymise", "ids": ids})
    assert b'data-testid="in-background"' in confirm.content
    response = client.post(reverse(BULK), {"action": "anonymise", "ids": ids})
    job = BulkAnonymisation.objects.get(actor=user)
    assert response.status_code == 302 and response["Location"].endswith(f"?job={job.pk}")
    return job


def _progress(client, job) -> str:
    response = client.get(reverse(PROGRESS), {"job": job.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_many_people_are_anonymised_in_batches_and_the_page_shows_the_progress(
    client, manager, small_batches
):
    job = _start(client, manager)
    assert Person.objects.filter(first_name="Manyperson").count() == 5  # nothing in the request
    fragment = _progress(client, job)
    assert "<html" not in fragment and "0 of 5 done" in fragment and "hx-get" in fragment
    assert _run_one_queued()
    fragment = _progress(client, job)
    assert "2 of 5 done" in fragment and "hx-get" in fragment
    assert Person.objects.filter(first_name="Manyperson").count() == 3
    while _run_one_queued():
        pass
    job.refresh_from_db()
    assert (job.status, job.done, job.anonymised) == ("done", 5, 5)
    fragment = _progress(client, job)
    assert "5 of 5 done" in fragment and "hx-get" not in fragment
    assert not Person.objects.filter(first_name="Manyperson").exists()
    page = client.get(reverse(PROGRESS), {"job": job.pk}).content.decode()
    assert "<html" in page and 'data-testid="bulk-progress"' in page


def test_a_few_people_are_anonymised_in_the_request(client, manager, small_batches):
    people = [PersonFactory(first_name="Fewperson") for _ in range(3)]
    client.force_login(manager)
    response = client.post(reverse(BULK), {"action": "anonymise", "ids": [p.pk for p in people]})
    assert response.status_code == 302 and "job=" not in response["Location"]
    assert not Person.objects.filter(first_name="Fewperson").exists()
    assert not BulkAnonymisation.objects.exists()


def test_a_batch_run_twice_does_nothing_more(client, manager, small_batches):
    job = _start(client, manager)
    bulk_jobs.bulk_anonymisation_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.done == 2
    # The finished job's task, delivered again, is a no-op.
    while _run_one_queued():
        pass
    bulk_jobs.bulk_anonymisation_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert (job.done, job.anonymised, job.status) == (5, 5, "done")


def test_a_revoked_permission_stops_the_job_and_keeps_the_finished_batches(client, manager, small_batches):
    job = _start(client, manager)
    assert _run_one_queued()
    manager.groups.remove(Group.objects.get(name="Manager"))
    manager.__dict__.pop("_perm_cache", None)
    while _run_one_queued():
        pass
    job.refresh_from_db()
    assert job.status == "failed" and job.done == 2
    assert Person.objects.filter(first_name="Manyperson").count() == 3


def test_another_users_job_answers_404(client, personas, small_batches):
    job = _start(client, personas.manager)
    client.force_login(personas.admin)
    assert client.get(reverse(PROGRESS), {"job": job.pk}).status_code == 404
    assert client.get(reverse(PROGRESS), {"job": "not-a-uuid"}).status_code == 404
    assert str(job.pk) not in client.get(reverse(PROGRESS)).content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("rep", 403), ("rep_other_team", 403), ("restricted", 403)],
)
def test_the_progress_page_for_each_role(client, personas, persona, status):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse(PROGRESS)).status_code == status


def test_everyone_matching_the_filter_that_the_user_may_change(
    client, personas, small_batches, managers_see_only_their_teams
):
    import datetime

    from django.utils import timezone

    old = timezone.now() - datetime.timedelta(days=900)
    mine = [
        PersonFactory(first_name="Oldmine", owner=personas.manager, last_touched_at=old) for _ in range(4)
    ]
    PersonFactory(first_name="Oldhidden", owner=personas.rep_other_team, last_touched_at=old)
    PersonFactory(first_name="Youngmine", owner=personas.manager)
    client.force_login(personas.manager)
    query = {"everyone": "on", "older_than": "18", "action": "anonymise"}
    confirm = client.get(reverse(BULK), query).content.decode()
    assert "Anonymise 4 people?" in confirm and "Oldhidden" not in confirm
    assert 'name="older_than" value="18"' in confirm
    response = client.post(reverse(BULK), query)
    job = BulkAnonymisation.objects.get(actor=personas.manager)
    assert response.status_code == 302 and job.total == 4 and set(job.pks) == {p.pk for p in mine}
    while _run_one_queued():
        pass
    assert set(Person.objects.values_list("first_name", flat=True)) == {
        "Anonymised",
        "Oldhidden",
        "Youngmine",
    }


def test_everyone_with_a_bad_filter_changes_nothing(client, manager):
    person = PersonFactory(first_name="Keepme")
    client.force_login(manager)
    response = client.post(reverse(BULK), {"everyone": "on", "older_than": "-5", "action": "anonymise"})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).first_name == "Keepme"
