"""GDPR in the browser: filter the contacts by age, bulk-anonymise with the confirm step."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Person
from gdpr.models import GdprEvent
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_manager_filters_people_untouched_for_months_and_anonymises_them_after_confirming(
    page, log_in, personas
):
    now = timezone.now()
    stale = [
        PersonFactory(first_name=name, last_name="Stale", last_touched_at=now - datetime.timedelta(days=days))
        for name, days in (("Olga", 900), ("Pavel", 700))
    ]
    PersonFactory(first_name="Rita", last_name="Recent", last_touched_at=now - datetime.timedelta(days=20))
    log_in("manager")
    page.goto("/gdpr/")
    page.get_by_label("Untouched for at least (months)").fill("18")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_test_id("age-table")
    expect(table.get_by_role("link", name="Olga Stale")).to_be_visible()
    expect(table.get_by_role("link", name="Pavel Stale")).to_be_visible()
    expect(table.get_by_role("link", name="Rita Recent")).to_have_count(0)
    page.get_by_label("Select Olga Stale").check()
    page.get_by_label("Select Pavel Stale").check()
    page.get_by_role("button", name="Anonymise selected").click()
    expect(page.get_by_role("heading", name="Anonymise 2 people?")).to_be_visible()
    expect(page.get_by_test_id("irreversible")).to_contain_text("cannot be undone")
    assert Person.objects.filter(last_name="Stale").count() == 2  # nothing happens before confirming
    page.get_by_test_id("confirm").click()
    expect(page.get_by_text("2 people anonymised.")).to_be_visible()
    expect(page.get_by_role("link", name="Olga Stale")).to_have_count(0)
    assert not Person.objects.filter(last_name="Stale").exists()
    assert set(GdprEvent.objects.filter(action="anonymise").values_list("object_id", flat=True)) == {
        person.pk for person in stale
    }
    assert Person.objects.filter(first_name="Rita").exists()


def test_a_large_bulk_anonymisation_runs_in_the_background_and_the_page_polls_its_progress(
    page, log_in, personas, monkeypatch
):
    from crm import outbox
    from crm.models import QueuedTask
    from gdpr import bulk_jobs

    monkeypatch.setattr(bulk_jobs, "BACKGROUND_FROM", 2)
    monkeypatch.setattr(bulk_jobs, "BATCH", 2)
    monkeypatch.setattr(outbox, "publish", lambda *args, **kwargs: 0)  # the test plays the worker
    old = timezone.now() - datetime.timedelta(days=900)
    for name in ("Anna", "Bert", "Cleo"):
        PersonFactory(first_name=name, last_name="Massive", last_touched_at=old)
    log_in("manager")
    page.goto("/gdpr/?older_than=18")
    for name in ("Anna", "Bert", "Cleo"):
        page.get_by_label(f"Select {name} Massive").check()
    page.get_by_role("button", name="Anonymise selected").click()
    expect(page.get_by_test_id("in-background")).to_be_visible()
    page.get_by_test_id("confirm").click()
    progress = page.get_by_test_id("bulk-progress")
    expect(progress).to_contain_text("0 of 3 done")
    while (pk := QueuedTask.objects.order_by("pk").values_list("pk", flat=True).first()) is not None:
        outbox.run_queued(pk)
    expect(progress).to_contain_text("3 of 3 done", timeout=10_000)
    expect(progress).to_have_attribute("data-status", "done")
    assert not Person.objects.filter(last_name="Massive").exists()
