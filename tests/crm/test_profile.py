"""The profile page (crm/profile.py): picture, signature, reminder settings and the calendar link;
and signing in by e-mail address as well as by username (crm.auth_backends.RoleBackend)."""

import io
import os

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from crm.models import User
from tests.factories import UserFactory

PASSWORD = "correct horse battery"


def picture(image_format="PNG", size=(600, 400), name="me.png"):
    data = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(data, format=image_format)
    return SimpleUploadedFile(name, data.getvalue(), content_type=f"image/{image_format.lower()}")


def profile_data(**values):
    return {
        "email_signature": "Best regards,\nRep",
        "reminders_enabled": "on",
        "reminder_time": "08:15",
        **values,
    }


def test_the_profile_saves_signature_reminders_and_picture(client, rep, media_root):
    client.force_login(rep)
    assert client.get(reverse("profile")).status_code == 200
    response = client.post(reverse("profile"), profile_data(avatar=picture("JPEG", name="me.jpg")))
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.email_signature == "Best regards,\nRep"
    assert rep.reminders_enabled and rep.reminder_time.strftime("%H:%M") == "08:15"
    assert rep.avatar.name.startswith("avatars/")
    with Image.open(rep.avatar.path) as stored:
        assert stored.format == "PNG" and max(stored.size) == 256  # re-drawn small, no metadata
    served = client.get(reverse("profile_avatar", args=[rep.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    # The header shows the picture.
    assert reverse("profile_avatar", args=[rep.pk]) in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png"),
        SimpleUploadedFile(
            "pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml"
        ),
        SimpleUploadedFile("doc.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        SimpleUploadedFile("empty.png", b"", content_type="image/png"),
    ],
    ids=["script-as-png", "svg", "pdf", "empty"],
)
def test_a_file_that_is_not_a_picture_is_a_form_error(client, rep, media_root, upload):
    client.force_login(rep)
    response = client.post(reverse("profile"), profile_data(avatar=upload))
    assert response.status_code == 422
    assert "invalid" in response.content.decode() or "picture" in response.content.decode()
    rep.refresh_from_db()
    assert not rep.avatar and rep.email_signature == ""


def test_a_picture_too_large_is_a_form_error(client, rep, media_root, settings):
    client.force_login(rep)
    huge = picture("PNG", size=(5000, 10))
    response = client.post(reverse("profile"), profile_data(avatar=huge))
    assert response.status_code == 422
    assert "too large" in response.content.decode()
    big_file = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 1), content_type="image/png"
    )
    response = client.post(reverse("profile"), profile_data(avatar=big_file))
    assert response.status_code == 422 and "larger than 2" in response.content.decode()


def test_a_bad_reminder_time_is_a_form_error(client, rep):
    client.force_login(rep)
    response = client.post(reverse("profile"), profile_data(reminder_time="25:99"))
    assert response.status_code == 422
    rep.refresh_from_db()
    assert rep.reminder_time.strftime("%H:%M") == "07:30"


def test_a_new_picture_replaces_the_old_file(client, rep, media_root, django_capture_on_commit_callbacks):
    client.force_login(rep)
    client.post(reverse("profile"), profile_data(avatar=picture()))
    rep.refresh_from_db()
    first = rep.avatar.path
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile"), profile_data(avatar=picture()))
    rep.refresh_from_db()
    assert rep.avatar.path != first
    assert not os.path.exists(first) and os.path.exists(rep.avatar.path)


def test_anyone_without_a_picture_gets_the_placeholder(client, rep, personas):
    client.force_login(rep)
    for user_pk in (0, personas.manager.pk):
        response = client.get(reverse("profile_avatar", args=[user_pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert client.get(reverse("profile_avatar", args=[999999])).status_code == 404


def test_the_calendar_link_is_made_renewed_and_turned_off_from_the_profile(client, rep):
    client.force_login(rep)
    assert 'data-testid="calendar-feed-off"' in client.get(reverse("profile")).content.decode()
    assert client.get(reverse("profile_calendar_renew")).status_code == 405
    client.post(reverse("profile_calendar_renew"))
    rep.refresh_from_db()
    first = rep.calendar_token
    assert first and len(first) >= 43
    page = client.get(reverse("profile")).content.decode()
    assert reverse("activities:calendar_feed", args=[first]) in page
    client.post(reverse("profile_calendar_renew"))
    rep.refresh_from_db()
    assert rep.calendar_token not in (None, first)
    client.post(reverse("profile_calendar_revoke"))
    rep.refresh_from_db()
    assert rep.calendar_token is None


def test_the_profile_shows_only_the_users_own_link(client, rep, personas):
    from crm import profile

    theirs = profile.calendar_token_renew(actor=personas.manager, user=personas.manager)
    client.force_login(rep)
    assert theirs not in client.get(reverse("profile")).content.decode()
    with pytest.raises(PermissionDenied):
        profile.calendar_token_revoke(actor=rep, user=personas.manager)
    personas.manager.refresh_from_db()
    assert personas.manager.calendar_token == theirs


# -- Signing in by e-mail address ------------------------------------------------------------------


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_a_user_signs_in_by_e_mail_address_in_any_case(client, rep):
    response = log_in(client, rep.email.upper())
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_wrong_password_by_e_mail_fails(client, rep):
    assert log_in(client, rep.email, "wrong password").status_code == 200


def test_an_address_shared_by_two_users_signs_nobody_in_and_says_why_not(client, rep):
    UserFactory(username="twin", email=rep.email.upper())
    response = log_in(client, rep.email)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "twin" not in response.content.decode()


def test_a_username_with_an_at_sign_wins_over_an_address(client, rep):
    named = UserFactory(username="ann@example.com", email="ann.other@example.com")
    other = UserFactory(username="ann2", email="ann@example.com")
    other.set_password("the other password")
    other.save()
    assert log_in(client, "ann@example.com", "the other password").status_code == 200
    assert log_in(client, "ann@example.com").status_code == 302
    assert int(client.session["_auth_user_id"]) == named.pk


def test_an_inactive_user_cannot_sign_in_by_address(client, rep):
    User.objects.filter(pk=rep.pk).update(is_active=False)
    assert log_in(client, rep.email).status_code == 200


def test_axes_counts_failures_by_address_and_locks_out(client, rep, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, rep.email, "wrong", REMOTE_ADDR="10.0.0.8").status_code == 200
    assert log_in(client, rep.email, "wrong", REMOTE_ADDR="10.0.0.8").status_code == 429
    # Locked out: the right password by the same address no longer signs in.
    assert log_in(client, rep.email, REMOTE_ADDR="10.0.0.8").status_code == 429
    assert client.get(reverse("dashboard")).status_code == 302
