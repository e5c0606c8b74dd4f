"""Companies, people and leads in the browser: the forms, the customer card, htmx parts,
lead conversion, escaping, phone width and access, each signed in through the login page."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Company, CompanyStatus, Person
from leads.models import Lead
from tests.factories import CompanyFactory, LeadFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
SCROLL_SLACK = 4


def _label(text: str) -> re.Pattern:
    """A form field's label as crispy-forms renders it: required ones end in an asterisk."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def _detail_value(page, term: str):
    """The <dd> that follows the <dt> named `term` on a record card."""
    return page.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _fill_company_minimum(page, *, sector: str = "Private") -> None:
    """Seed 000's minimum company fields, which the form requires by default."""
    for label, option in (("Contact type", "Prospect"), ("Business unit", "Enterprise"), ("Market", "Sweden"),
                          ("Life cycle", "Prospect"), ("Sector", sector), ("Segment", "Mid-market")):  # fmt: skip
        page.get_by_label(_label(label)).select_option(label=option)


def _fill_person_minimum(page, *, email: str) -> None:
    """Seed 000's minimum person fields besides the name and the company."""
    page.get_by_label(_label("E-mail")).fill(email)
    page.get_by_label(_label("Phone")).fill("+46 70 123 45 67")
    page.get_by_label(_label("Title")).fill("Head of Archives")
    page.get_by_label(_label("Business unit")).select_option(label="Enterprise")


def test_a_rep_creates_a_company_and_adds_a_person_from_its_card(page, log_in, rep):
    log_in("rep")
    page.goto("/contacts/companies/")
    page.get_by_role("link", name="New company").click()
    expect(page.get_by_role("heading", name="New company")).to_be_visible()

    page.get_by_label(_label("Name")).fill("Vandelay Industries")
    _fill_company_minimum(page, sector="Private")
    page.get_by_label(_label("E-mail domain")).fill("vandelay.example")
    page.get_by_label(_label("Website")).fill("https://vandelay.example")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("record-title")).to_have_text("Vandelay Industries")
    company = Company.objects.get(name="Vandelay Industries")
    expect(page).to_have_url(re.compile(re.escape(company.get_absolute_url()) + "$"))
    expect(_detail_value(page, "Sector")).to_have_text("Private")
    expect(_detail_value(page, "E-mail domain")).to_have_text("vandelay.example")
    owner = page.get_by_test_id("quick-edit").get_by_label("Owner")
    expect(owner).to_have_value(str(rep.pk))
    expect(owner.locator("option:checked")).to_have_text(str(rep))
    assert company.owner == rep

    page.get_by_test_id("people").get_by_role("link", name="Add a person").click()
    expect(page.get_by_role("heading", name="New person")).to_be_visible()
    company_select = page.get_by_label(_label("Company"))
    expect(company_select).to_have_value(str(company.pk))
    page.get_by_label(_label("First name")).fill("Art")
    page.get_by_label(_label("Last name")).fill("Vandelay")
    _fill_person_minimum(page, email="art@vandelay.example")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("record-title")).to_contain_text("Art Vandelay")
    assert Person.objects.get(first_name="Art", last_name="Vandelay").company == company
    company_link = page.get_by_test_id("record-title").get_by_role("link", name="Vandelay Industries")
    expect(company_link).to_be_visible()
    company_link.click()

    expect(page.get_by_test_id("record-title")).to_have_text("Vandelay Industries")
    expect(page.get_by_test_id("people").get_by_role("link", name="Art Vandelay")).to_be_visible()


def test_a_company_with_the_e_mail_domain_of_an_existing_one_is_flagged_and_can_be_created_anyway(
    page, log_in, rep
):
    existing = CompanyFactory(name="Kramerica Industries", email_domain="kramerica.example", owner=rep)
    log_in("rep")
    page.goto("/contacts/companies/new/")
    page.get_by_label(_label("Name")).fill("Kramerica Oil Tankers")
    _fill_company_minimum(page)
    page.get_by_label(_label("E-mail domain")).fill("kramerica.example")
    page.get_by_role("button", name="Save").click()

    duplicates = page.get_by_test_id("duplicates")
    expect(duplicates).to_contain_text("This may already exist")
    expect(duplicates.get_by_role("link", name=existing.name)).to_have_attribute(
        "href", existing.get_absolute_url()
    )
    assert Company.objects.filter(email_domain="kramerica.example").count() == 1

    confirm = page.get_by_role("checkbox", name="These are different: create it anyway")
    expect(confirm).to_be_visible()
    confirm.check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("record-title")).to_have_text("Kramerica Oil Tankers")
    assert Company.objects.filter(email_domain="kramerica.example").count() == 2


def test_a_rep_converts_a_lead_into_a_new_person_at_the_matching_existing_company(page, log_in, rep):
    company = CompanyFactory(name="Globex", email_domain="globex.example", owner=rep)
    lead = LeadFactory(
        first_name="Hank",
        last_name="Scorpio",
        company_name="Globex Corporation",
        email="hank@globex.example",
        owner=rep,
    )
    still_open = LeadFactory(first_name="Frank", last_name="Grimes", owner=rep)
    log_in("rep")
    page.goto(lead.get_absolute_url())
    page.get_by_role("link", name="Convert").click()

    form = page.get_by_test_id("convert-form")
    expect(form.get_by_label("Existing: Globex")).to_be_checked()
    form.get_by_label("Create a new person").check()
    form.get_by_role("button", name="Convert").click()

    expect(page).to_have_url(re.compile(re.escape(company.get_absolute_url()) + "$"))
    expect(page.get_by_test_id("record-title")).to_have_text("Globex")
    expect(page.get_by_test_id("people").get_by_role("link", name="Hank Scorpio")).to_be_visible()
    expect(page.get_by_test_id("converted-leads").get_by_role("link", name="Hank Scorpio")).to_have_attribute(
        "href", lead.get_absolute_url()
    )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    assert lead.converted_company == company

    page.goto("/leads/")
    table = page.get_by_test_id("lead-table")
    expect(table.get_by_role("link", name=still_open.full_name)).to_be_visible()
    expect(table.get_by_role("link", name="Hank Scorpio")).to_have_count(0)


def test_converting_a_lead_into_a_new_company_lands_on_its_card_with_the_new_person(page, log_in, rep):
    lead = LeadFactory(
        first_name="Peter",
        last_name="Gibbons",
        company_name="Initech",
        email="peter@initech.example",
        owner=rep,
    )
    log_in("rep")
    page.goto(lead.get_absolute_url())
    page.get_by_role("link", name="Convert").click()

    form = page.get_by_test_id("convert-form")
    form.get_by_label("Create a new company").check()
    form.get_by_role("button", name="Convert").click()

    expect(page.get_by_test_id("record-title")).to_have_text("Initech")
    company = Company.objects.get(name="Initech")
    assert page.url.endswith(company.get_absolute_url())
    assert company.email_domain == "initech.example"
    expect(page.get_by_test_id("people").get_by_role("link", name="Peter Gibbons")).to_be_visible()
    expect(page.get_by_test_id("converted-leads").get_by_role("link", name="Peter Gibbons")).to_be_visible()


def test_the_person_form_finds_the_company_by_searching_with_htmx(page, log_in, rep):
    umbrella = CompanyFactory(name="Umbrella Pharmaceuticals", email_domain="umbrella.example", owner=rep)
    CompanyFactory(name="Cyberdyne Systems", email_domain="cyberdyne.example", owner=rep)
    log_in("rep")
    page.goto("/contacts/people/new/")

    company_select = page.get_by_label(_label("Company"))
    expect(company_select.locator("option", has_text="Umbrella")).to_have_count(0)
    search_box = company_select.locator("xpath=preceding-sibling::input[@type='search']")
    search_box.press_sequentially("umbr", delay=50)
    option = company_select.locator("option", has_text="Umbrella Pharmaceuticals")
    expect(option).to_have_count(1)
    expect(company_select.locator("option", has_text="Cyberdyne")).to_have_count(0)
    company_select.select_option(value=str(umbrella.pk))

    page.get_by_label(_label("First name")).fill("Albert")
    page.get_by_label(_label("Last name")).fill("Wesker")
    _fill_person_minimum(page, email="albert.wesker@umbrella.example")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("record-title")).to_contain_text("Albert Wesker")
    expect(
        page.get_by_test_id("record-title").get_by_role("link", name="Umbrella Pharmaceuticals")
    ).to_be_visible()
    assert Person.objects.get(last_name="Wesker").company == umbrella


def _save_quick_edit(page, status: str) -> None:
    """Pick `status` in the card's "Next step and owner" box, save, and wait until htmx has
    swapped in the answer (after any redirect it followed)."""
    page.evaluate(
        """() => {
            delete document.body.dataset.settled;
            document.body.addEventListener("htmx:afterSettle", () => { document.body.dataset.settled = "yes"; }, {once: true});
        }"""
    )
    quick_edit = page.get_by_test_id("quick-edit")
    quick_edit.get_by_label("Status").select_option(label=status)
    quick_edit.get_by_role("button", name="Save").click()
    # (wait_for_function would evaluate a string, which the page's CSP refuses)
    expect(page.locator("body")).to_have_attribute("data-settled", "yes")


def test_the_next_step_box_on_the_card_saves_a_new_status_without_reloading_the_page(page, log_in, rep):
    company = CompanyFactory(name="Pendant Publishing", owner=rep)
    log_in("rep")
    page.goto(company.get_absolute_url())
    page.evaluate("window.__sameDocument = true")

    _save_quick_edit(page, "Send an offer")

    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    company.refresh_from_db()
    assert company.status == CompanyStatus.objects.get(name="Send an offer")
    # The answer replaces the box only: not a whole page nested inside the card.
    expect(page.get_by_role("navigation", name="Main navigation")).to_have_count(1)
    expect(page.get_by_test_id("record-title")).to_have_count(1)
    quick_edit = page.get_by_test_id("quick-edit")
    expect(quick_edit).to_have_count(1)
    expect(quick_edit.get_by_label("Status").locator("option:checked")).to_have_text("Send an offer")

    # The swapped-in box carries the new version: saving again is not refused as stale.
    _save_quick_edit(page, "Follow up the offer")
    company.refresh_from_db()
    assert company.status == CompanyStatus.objects.get(name="Follow up the offer")
    expect(page.get_by_test_id("quick-edit").get_by_label("Status").locator("option:checked")).to_have_text(
        "Follow up the offer"
    )


def test_stored_markup_in_names_and_titles_is_shown_as_text_and_never_runs(page, log_in, rep):
    name = '<img src=x onerror="window.__xss=1">'
    title = '<svg onload="window.__xss=1">'
    company = CompanyFactory(name=name, owner=rep)
    person = PersonFactory(first_name="Bobby", last_name="Tables", title=title, company=company, owner=rep)
    log_in("rep")

    page.goto("/contacts/companies/")
    expect(page.get_by_test_id("company-table").get_by_role("link", name=name)).to_be_visible()
    assert page.evaluate("window.__xss") is None

    page.goto(company.get_absolute_url())
    expect(page.get_by_test_id("record-title")).to_have_text(name)
    expect(page.get_by_test_id("people")).to_contain_text(title)
    assert page.evaluate("window.__xss") is None

    page.goto(person.get_absolute_url())
    expect(page.get_by_test_id("record-title").get_by_role("link", name=name)).to_be_visible()
    expect(_detail_value(page, "Title")).to_have_text(title)
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main svg").count() == 0


def test_the_company_list_and_card_fit_a_phone_screen(page, log_in, rep, companies_by_owner):
    company = companies_by_owner["rep"]
    PersonFactory(first_name="Elaine", last_name="Benes", title="Editor", company=company, owner=rep)
    page.set_viewport_size(PHONE)
    log_in("rep")

    page.goto("/contacts/companies/")
    expect(page.get_by_test_id("company-table")).to_be_visible()
    assert _page_width(page) <= PHONE["width"] + SCROLL_SLACK
    nav = page.get_by_test_id("main-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()

    page.goto(company.get_absolute_url())
    expect(page.get_by_test_id("record-title")).to_have_text(company.name)
    expect(page.get_by_test_id("people").get_by_role("link", name="Elaine Benes")).to_be_visible()
    assert _page_width(page) <= PHONE["width"] + SCROLL_SLACK
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()


def test_a_restricted_user_gets_not_found_for_another_reps_company(page, log_in, companies_by_owner):
    company = companies_by_owner["rep"]
    log_in("restricted")
    response = page.goto(company.get_absolute_url())
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(company.name)).to_have_count(0)
