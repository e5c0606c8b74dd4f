"""The MiniCRM flow on the customer card, in the browser (seed 003): complete a to-do from the
company's timeline, then add the next to-do that is offered pre-filled — all in place (htmx)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity
from tests.factories import ActivityFactory, CompanyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_rep_completes_a_todo_and_adds_the_next_one_from_the_card(page, log_in, rep):
    company = CompanyFactory(name="Vandelay Archives", owner=rep)
    todo = ActivityFactory(
        company=company,
        owner=rep,
        subject="Call the archivist",
        due_at=timezone.now() - datetime.timedelta(days=1),
    )
    log_in("rep")
    page.goto(company.get_absolute_url())
    timeline = page.get_by_test_id("timeline")
    entry = timeline.get_by_test_id("timeline-open").filter(has_text="Call the archivist")
    expect(entry.get_by_test_id("overdue")).to_be_visible()

    entry.get_by_text("Done…").click()
    entry.get_by_label("Outcome").fill("Wants an offer for 200 TB")
    entry.get_by_role("button", name="Mark done").click()

    # The card is not reloaded: the timeline answers with the to-do in history and the next one offered.
    expect(page.get_by_test_id("next-todo-prompt")).to_contain_text("Call the archivist")
    history = page.get_by_test_id("timeline-history")
    expect(history).to_contain_text("Call the archivist")
    expect(history).to_contain_text("Wants an offer for 200 TB")
    next_form = page.get_by_test_id("next-todo-form")
    expect(next_form.get_by_label("Due")).not_to_have_value("")
    next_form.get_by_label("Next to-do").fill("Send the offer")
    next_form.get_by_role("button", name="Add").click()

    expect(page.get_by_test_id("next-todo-prompt")).to_have_count(0)
    expect(page.get_by_test_id("timeline-open-list")).to_contain_text("Send the offer")
    todo.refresh_from_db()
    assert todo.status == Activity.Status.DONE and todo.outcome == "Wants an offer for 200 TB"
    following = Activity.objects.get(subject="Send the offer")
    assert following.company == company and following.owner == rep and following.is_open
    # Seed 003's "one click to skip": a to-do done with nothing planned after it.
    page.reload()
    entry = page.get_by_test_id("timeline-open").filter(has_text="Send the offer")
    entry.get_by_text("Done…").click()
    entry.get_by_role("button", name="Mark done").click()
    page.get_by_test_id("skip-next").click()
    expect(page.get_by_test_id("next-todo-prompt")).to_have_count(0)
    expect(page.get_by_test_id("no-next-step")).to_be_visible()
    assert Activity.objects.filter(company=company).count() == 2
