import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_rep_signs_in_through_the_login_page_and_sees_the_dashboard(
    page, log_in, personas, companies_by_owner
):
    log_in("rep")
    assert page.url.endswith("/")
    expect(page.get_by_role("heading", name="Welcome, ")).to_be_visible()
    expect(page.get_by_test_id("companies-visible")).to_have_text(str(len(companies_by_owner)))
    nav = page.get_by_test_id("main-nav")
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)


def test_a_wrong_password_keeps_the_user_on_the_login_page(page, log_in, personas):
    log_in("rep", "not the password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("rep")


def test_the_navigation_folds_into_a_menu_at_phone_width(page, log_in, personas):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("admin")
    nav = page.get_by_test_id("main-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(nav.get_by_role("link", name="Admin")).to_be_visible()


def test_signing_out_from_the_user_menu(page, log_in, personas):
    log_in("manager")
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert "/accounts/login/" in page.url
