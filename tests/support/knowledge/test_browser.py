""" "Insert answer" in the browser: an agent searches the knowledge base from a ticket's reply box
and inserts a published article's text into the reply (htmx + static/knowledge/insert_answer.js,
under the CSP that forbids inline scripts)."""

import pytest
from playwright.sync_api import expect

from support.knowledge.models import Article, Category
from support.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_inserts_an_article_into_a_ticket_reply(page, log_in, rep):
    shelf = Category.objects.create(name="Scanning")
    Article.objects.create(
        title="Microfilm resolution", body="We scan microfilm at 400 dpi.\n\n<b>Greyscale</b> by default.",
        category=shelf, status=Article.Status.PUBLISHED,
    )  # fmt: skip
    Article.objects.create(title="Microfilm draft", body="Not yet.", category=shelf)
    ticket = Ticket.objects.create(subject="Which resolution?", owner=rep)
    log_in("rep")
    page.goto(ticket.get_absolute_url())
    reply = page.locator("#id_body")
    reply.fill("Dear customer,")
    page.get_by_label("Insert an answer from the knowledge base").fill("microf")
    results = page.get_by_test_id("kb-insert-results")
    expect(results).to_contain_text("Microfilm resolution")
    expect(results).not_to_contain_text("Microfilm draft")
    results.get_by_role("button", name="Insert").click()
    expect(reply).to_have_value(
        "Dear customer,\n\nWe scan microfilm at 400 dpi.\n\n<b>Greyscale</b> by default."
    )
