"""A public web form in the browser: a visitor fills it in and sends it; the seller it is
assigned to then finds the new lead, with its score, on their lead list and card."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from marketing.webforms.models import WebForm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FIELDS = [
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "email", "required": True},
    {"name": "message", "required": False},
    {"name": "consent", "required": False},
]


def test_a_visitor_submits_a_form_and_the_seller_sees_the_scored_assigned_lead(page, log_in, rep):
    web_form = WebForm.objects.create(
        name="Contact us",
        title="Talk to us",
        fields=FIELDS,
        assignment=WebForm.Assignment.USER,
        assign_user=rep,
        notify_seller=True,
        thank_you_text="Thank you, we will call you.",
    )
    page.goto(web_form.public_url())
    expect(page.get_by_role("heading", name="Talk to us")).to_be_visible()
    expect(page.get_by_label("Leave this empty")).to_be_hidden()  # the honeypot
    page.get_by_label(re.compile(r"^\s*First name")).fill("Vera")
    page.get_by_label(re.compile(r"^\s*Last name")).fill("Webster")
    page.get_by_label(re.compile(r"^\s*E-mail")).fill("vera@webster.example")
    page.get_by_label(re.compile(r"^\s*Message")).fill("Please send a quote.")
    page.get_by_label(re.compile("Yes, you may send me e-mail")).check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("thanks")).to_contain_text("Thank you, we will call you.")

    lead = Lead.objects.get(email="vera@webster.example")
    log_in("rep")
    page.goto("/leads/")
    page.get_by_role("link", name="Vera Webster").click()
    expect(page.get_by_test_id("record-title")).to_contain_text("Vera Webster")
    score = page.locator("dt", has_text="Score").locator("xpath=following-sibling::dd[1]")
    expect(score).to_contain_text(str(lead.score))
    assert lead.score == 10
    owner = page.locator("dt", has_text="Owner").locator("xpath=following-sibling::dd[1]")
    expect(owner).to_have_text(str(rep))
    expect(page.get_by_test_id("webform-submissions")).to_contain_text("Contact us")
