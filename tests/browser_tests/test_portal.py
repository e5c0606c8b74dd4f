"""The customer portal in the browser: a customer asks for a magic link, follows it from the mail
(read from the outbox row) and signs in, files a ticket and opens it; an agent replies; the
customer sees the reply, and no internal note."""

import pytest
from playwright.sync_api import expect

from support import services
from support.models import Ticket
from tests.factories import CompanyFactory, PersonFactory
from tests.support.portal.conftest import last_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_customer_signs_in_by_magic_link_files_a_ticket_and_sees_the_agents_reply(page, admin):
    company = CompanyFactory(name="Portal Archive AB")
    PersonFactory(first_name="Petra", last_name="Portal", email="petra@portal.example", company=company)

    page.goto("/portal/")
    expect(page).to_have_url("/portal/sign-in/")
    page.get_by_label("Your e-mail address").fill("petra@portal.example")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    expect(page.get_by_test_id("portal-link-sent")).to_be_visible()

    link = last_link("petra@portal.example")
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Tickets of Portal Archive AB")).to_be_visible()

    page.get_by_role("link", name="New request").first.click()
    page.get_by_label("Subject").fill("Scanner jams on A3")
    page.get_by_label("How can we help?").fill("Every third page jams.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_test_id("portal-ticket-title")).to_contain_text("Scanner jams on A3")

    ticket = Ticket.objects.get(subject="Scanner jams on A3")
    assert ticket.channel == "portal" and ticket.company == company
    services.ticket_note(actor=admin, ticket=ticket, body="Internal: known firmware bug")
    services.ticket_reply(actor=admin, ticket=ticket, body="Please update the firmware to 2.1.")

    page.reload()
    conversation = page.get_by_test_id("portal-conversation")
    expect(conversation).to_contain_text("Please update the firmware to 2.1.")
    expect(conversation).not_to_contain_text("known firmware bug")

    page.get_by_label("Your reply").fill("Updated, it works now. Thanks!")
    page.get_by_role("button", name="Send the reply").click()
    expect(conversation).to_contain_text("Updated, it works now.")

    # The link was single use: following it again signs no one in.
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_test_id("portal-link-invalid")).to_be_visible()
