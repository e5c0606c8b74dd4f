import re

import pytest
from django.core import mail
from django.urls import reverse

from crm.models import OutboundEmail, User

PASSWORD = "correct horse battery"


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_page_renders_for_anonymous_users(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_valid_login_opens_the_dashboard(client, rep):
    response = log_in(client, "rep")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")  # the start page, the dashboard by default
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, rep):
    response = log_in(client, "rep", "wrong password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_login_redirect_does_not_leave_the_site(client, rep):
    response = client.post(
        reverse("login"), {"username": "rep", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_logout_needs_post_and_ends_the_session(client, rep):
    client.force_login(rep)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_change_requires_the_old_password(client, rep):
    client.force_login(rep)
    url = reverse("password_change")
    bad = client.post(
        url, {"old_password": "nope", "new_password1": "Fresh-Pass-123", "new_password2": "Fresh-Pass-123"}
    )
    assert bad.status_code == 200
    good = client.post(
        url, {"old_password": PASSWORD, "new_password1": "Fresh-Pass-123", "new_password2": "Fresh-Pass-123"}
    )
    assert good.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("Fresh-Pass-123")


def test_password_reset_mail_goes_through_the_outbox_and_the_link_sets_a_new_password(
    client, rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "rep@example.com"})
    assert response.status_code == 302
    queued = OutboundEmail.objects.get()
    assert queued.status == OutboundEmail.Status.SENT
    assert mail.outbox[0].to == ["rep@example.com"]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9"},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("Brand-New-Pass-9")


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert not OutboundEmail.objects.exists()


@pytest.fixture
def locked_rep(client, rep, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "rep", "wrong", REMOTE_ADDR="10.0.0.7")
    return rep


def test_ten_failures_lock_the_user_on_that_address_even_with_the_right_password(client, locked_rep):
    response = log_in(client, "rep", REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_lockout_leaves_other_users_on_the_same_address_alone(client, locked_rep, rep_other_team):
    assert log_in(client, "rep_other_team", REMOTE_ADDR="10.0.0.7").status_code == 302


def test_a_spoofed_forwarded_for_header_does_not_escape_the_lockout(client, locked_rep):
    response = log_in(client, "rep", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, locked_rep, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * 2)
    assert log_in(client, "rep", REMOTE_ADDR="10.0.0.7").status_code == 302


def test_the_login_form_says_an_e_mail_address_works_too(client, db):
    assert "Username or e-mail" in client.get(reverse("login")).content.decode()


def test_failures_by_username_and_by_e_mail_count_against_one_account(client, rep, settings):
    """Half the attempts by username, half by e-mail address: the account is locked all the same,
    under both names."""
    rep.email = "rep.person@example.com"
    rep.save()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        name = "rep" if attempt % 2 else "REP.person@example.com"
        log_in(client, name, "wrong", REMOTE_ADDR="10.0.0.8")
    assert log_in(client, "rep", REMOTE_ADDR="10.0.0.8").status_code == 429
    assert log_in(client, "rep.person@example.com", REMOTE_ADDR="10.0.0.8").status_code == 429


def test_an_address_of_several_users_or_nobody_counts_as_typed(rf, personas):
    from crm.security import login_name

    personas.rep.email = personas.manager.email = "shared@example.com"
    personas.rep.save()
    personas.manager.save()
    assert login_name(rf.post("/"), {"username": "shared@example.com"}) == "shared@example.com"
    assert login_name(rf.post("/"), {"username": "nobody@example.com"}) == "nobody@example.com"
    assert login_name(rf.post("/", {"username": "rep"})) == "rep"


def test_new_users_get_a_hashed_password(db):
    user = User.objects.create_user("hashed", password="s3cret-enough-pass")
    assert not user.password.startswith("s3cret")
