"""The portal's magic-link sign-in: single use, 15 minutes, only hashes stored, the same answer
for known and unknown addresses, rate-limited, and a session of its own (no staff session)."""

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import OutboundEmail
from support.portal import auth
from support.portal.models import PortalLink, PortalSession
from tests.factories import PersonFactory
from tests.support.portal.conftest import last_link, sign_in

pytestmark = pytest.mark.django_db


def request_link(client, address: str, ip: str = "198.51.100.7"):
    return client.post(reverse("portal:sign_in"), {"email": address}, REMOTE_ADDR=ip)


def test_a_known_contact_gets_a_single_use_link_and_only_its_hash_is_stored(client, ours):
    response = request_link(client, "OLGA@ours.example ")
    assert response.status_code == 200
    path = last_link("olga@ours.example")
    token = path.rstrip("/").rsplit("/", 1)[1]
    link = PortalLink.objects.get()
    assert link.person == ours.person
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not PortalLink.objects.filter(token_hash=token).exists()
    assert link.expires_at - link.created_at == datetime.timedelta(minutes=15)


def test_known_and_unknown_addresses_get_the_same_answer(client, ours):
    known = request_link(client, ours.person.email)
    unknown = request_link(client, "nobody@nowhere.example")
    strip = lambda response: response.content.decode().split("</nav>", 1)[1]  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert OutboundEmail.objects.count() == 1


def test_following_the_link_by_get_spends_nothing_and_the_post_signs_in_once(client, ours):
    request_link(client, ours.person.email)
    path = last_link(ours.person.email)
    for _scanner in range(3):
        page = client.get(path)
        assert page.status_code == 200 and "Arkiv Ours AB" in page.content.decode()
    assert not PortalSession.objects.exists()
    assert client.post(path)["Location"] == reverse("portal:ticket_list")
    assert client.get(reverse("portal:ticket_list")).status_code == 200
    session = PortalSession.objects.get()
    assert session.person == ours.person
    assert session.key_hash != client.cookies[auth.COOKIE_NAME].value
    # Spent: neither the page nor a second sign-in works any more, from this or another browser.
    other = type(client)()
    assert other.get(path).status_code == 404
    assert other.post(path).status_code == 404
    assert PortalSession.objects.count() == 1


def test_an_expired_link_signs_nobody_in(client, ours, monkeypatch):
    request_link(client, ours.person.email)
    path = last_link(ours.person.email)
    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not PortalSession.objects.exists()


@pytest.mark.parametrize("token", ["x" * 43, "", "a", "%00", "y" * 500, "../../admin"])
def test_a_forged_or_malformed_link_signs_nobody_in(client, ours, token):
    request_link(client, ours.person.email)
    real = last_link(ours.person.email).rstrip("/").rsplit("/", 1)[1]
    path = f"/portal/sign-in/{token}/"
    assert client.post(path).status_code == 404
    assert client.post(f"/portal/sign-in/{real[:-1]}/").status_code == 404  # one character short
    assert not PortalSession.objects.exists()


def test_a_person_without_a_company_gets_no_link(client):
    PersonFactory(email="lone@nowhere.example", company=None)
    request_link(client, "lone@nowhere.example")
    assert not OutboundEmail.objects.exists() and not PortalLink.objects.exists()


def test_an_anonymised_person_gets_no_link_even_if_the_address_was_kept(client, ours, admin):
    from contacts.models import Person
    from gdpr import services as gdpr_services

    gdpr_services.record_anonymise(actor=admin, record=ours.person)
    Person.objects.filter(pk=ours.person.pk).update(email="olga@ours.example")  # e-mail not covered
    request_link(client, "olga@ours.example")
    assert not PortalLink.objects.exists()


def test_an_address_of_two_companies_gets_one_link_for_each(client, ours, theirs):
    PersonFactory(email=ours.person.email, company=theirs.company)
    request_link(client, ours.person.email)
    mail = OutboundEmail.objects.get()
    assert mail.body_text.count("/portal/sign-in/") == 2
    assert "Arkiv Ours AB" in mail.body_text and "Other Theirs AB" in mail.body_text


def test_links_are_rate_limited_per_address_and_per_ip_known_or_not(client, ours):
    for _attempt in range(auth.ADDRESS_LIMIT[0]):
        assert request_link(client, ours.person.email).status_code == 200
    assert request_link(client, ours.person.email).status_code == 429
    assert request_link(client, "nobody@nowhere.example", ip="203.0.113.1").status_code == 200
    assert OutboundEmail.objects.count() == auth.ADDRESS_LIMIT[0]
    for number in range(auth.IP_LIMIT[0]):
        request_link(client, f"someone{number}@nowhere.example", ip="203.0.113.9")
    assert request_link(client, "fresh@nowhere.example", ip="203.0.113.9").status_code == 429


def test_signing_out_ends_the_session_for_good(client, ours):
    sign_in(client, ours.person.email)
    stolen = client.cookies[auth.COOKIE_NAME].value
    assert client.post(reverse("portal:sign_out"))["Location"] == reverse("portal:sign_in")
    assert PortalSession.objects.get().ended_at is not None
    client.cookies[auth.COOKIE_NAME] = stolen  # the old cookie, replayed
    assert client.get(reverse("portal:ticket_list"))["Location"] == reverse("portal:sign_in")


def test_a_tampered_or_expired_session_cookie_opens_nothing(client, ours, monkeypatch):
    sign_in(client, ours.person.email)
    good = client.cookies[auth.COOKIE_NAME].value
    client.cookies[auth.COOKIE_NAME] = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    assert client.get(reverse("portal:ticket_list")).status_code == 302
    client.cookies[auth.COOKIE_NAME] = good
    later = timezone.now() + datetime.timedelta(hours=auth.SESSION_HOURS, seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert client.get(reverse("portal:ticket_list")).status_code == 302


def test_a_staff_login_opens_no_portal_page(client, admin, ours):
    client.force_login(admin)
    for name in ("portal:ticket_list", "portal:ticket_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("portal:sign_in")


def test_a_signed_in_customer_is_not_a_staff_user(signed_in):
    response = signed_in.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in signed_in.session


def test_the_sweep_deletes_what_ended_over_a_day_ago(client, ours):
    sign_in(client, ours.person.email)
    assert auth.sweep(now=timezone.now()) == 0
    assert auth.sweep(now=timezone.now() + datetime.timedelta(days=2)) == 2
    assert not PortalLink.objects.exists() and not PortalSession.objects.exists()


def test_anonymising_a_signed_in_person_ends_their_session(signed_in, ours, admin):
    from gdpr import services as gdpr_services

    assert signed_in.get(reverse("portal:ticket_list")).status_code == 200
    gdpr_services.record_anonymise(actor=admin, record=ours.person)
    assert signed_in.get(reverse("portal:ticket_list"))["Location"] == reverse("portal:sign_in")
