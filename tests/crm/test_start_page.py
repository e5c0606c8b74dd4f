"""The start page (seed 001: "The default view for a user in a CRM project is the Sales Board"):
each user chooses the dashboard or the sales board; "/" and signing in open it."""

import pytest
from django.urls import reverse

from crm.models import AuditEvent, StartPage, User
from tests.factories import UserFactory

PASSWORD = "correct horse battery"  # the factories' password


def choose_board(user):
    User.objects.filter(pk=user.pk).update(start_page=StartPage.SALES_BOARD)


def test_the_dashboard_is_the_default_start_page(client, rep):
    assert rep.start_page == StartPage.DASHBOARD
    client.force_login(rep)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.templates[0].name == "crm/dashboard.html"
    assert client.get(reverse("dashboard")).status_code == 200


def test_root_opens_the_sales_board_for_who_chose_it(client, rep):
    choose_board(rep)
    client.force_login(rep)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("opportunities:board")
    # The dashboard stays one click away.
    assert client.get(reverse("dashboard")).status_code == 200


def test_signing_in_lands_on_the_start_page(client, rep):
    choose_board(rep)
    response = client.post(reverse("login"), {"username": "rep", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("opportunities:board")
    assert response.status_code == 200 and "board" in response.context


def test_a_board_start_page_without_access_to_deals_falls_back_to_the_dashboard(client, db):
    nobody = UserFactory(username="no_role", start_page=StartPage.SALES_BOARD)
    client.force_login(nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 200 and response.templates[0].name == "crm/dashboard.html"


def test_a_user_chooses_their_start_page_in_my_settings(client, rep):
    client.force_login(rep)
    page = client.get(reverse("my_settings"))
    html = page.content.decode()
    assert page.status_code == 200 and 'name="start_page"' in html and "Sales board" in html
    assert reverse("my_settings") in html  # reachable from the user menu
    response = client.post(reverse("my_settings"), {"start_page": StartPage.SALES_BOARD})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.start_page == StartPage.SALES_BOARD
    assert AuditEvent.objects.filter(verb="change start page", object_id=str(rep.pk)).exists()
    assert client.get(reverse("home"))["Location"] == reverse("opportunities:board")


@pytest.mark.parametrize("value", ["admin:index", "", "https://evil.example/"])
def test_my_settings_refuses_a_start_page_that_is_not_offered(client, rep, value):
    client.force_login(rep)
    response = client.post(reverse("my_settings"), {"start_page": value})
    assert response.status_code == 422
    rep.refresh_from_db()
    assert rep.start_page == StartPage.DASHBOARD


def test_an_administrator_sets_a_users_start_page_in_admin(client, admin, rep):
    client.force_login(admin)
    page = client.get(reverse("admin:crm_user_change", args=[rep.pk])).content.decode()
    assert 'name="start_page"' in page
