"""Portal isolation, the issue's key risk: a customer reaches no other company's ticket through
any portal URL, no staff page opens with a portal session, no internal note reaches portal HTML,
and fuzzing the portal's public endpoints finds no server error.

The routes are read from the resolver, so a portal route added later is enumerated too."""

import string

import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import services
from support.models import Ticket, TicketMessage
from support.portal import auth
from tests.access_matrix import PUBLIC, ROUTES, TOKEN_ROUTES, ListRoute, ObjectRoute, iter_routes
from tests.support.portal.conftest import ticket_for

pytestmark = pytest.mark.django_db

PORTAL_ROUTES = sorted(
    (name, pattern) for name, pattern, _takes in iter_routes() if name and name.startswith("portal:")
)
NOTE = "Internal-note-token-7731"


def test_the_enumeration_sees_the_portals_routes():
    names = {name for name, _pattern in PORTAL_ROUTES}
    assert {"portal:ticket_detail", "portal:ticket_reply", "portal:ticket_list"} <= names


@pytest.mark.parametrize(("name", "pattern"), [route for route in PORTAL_ROUTES if "<int:pk>" in route[1]])
def test_every_portal_url_with_another_companys_ticket_is_404_and_changes_nothing(
    signed_in, theirs, admin, name, pattern
):
    other = ticket_for(theirs, "Their secret router")
    services.ticket_reply(actor=admin, ticket=other, body="Their reply")
    before = list(TicketMessage.objects.order_by("pk").values())
    ticket_before = Ticket.objects.filter(pk=other.pk).values().get()
    url = reverse(name, kwargs={"pk": other.pk})
    for method in (signed_in.get, signed_in.post):
        response = method(url, {"body": "Hijack", "subject": "Hijack", "description": "Hijack"})
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert b"secret router" not in response.content and b"Their reply" not in response.content
    assert list(TicketMessage.objects.order_by("pk").values()) == before
    assert Ticket.objects.filter(pk=other.pk).values().get() == ticket_before


@pytest.mark.parametrize(("name", "pattern"), [route for route in PORTAL_ROUTES if "<int:pk>" in route[1]])
def test_every_portal_url_with_a_missing_id_is_404_like_another_companys(signed_in, name, pattern):
    for pk in (0, 999999999, 2**62):
        assert signed_in.get(reverse(name, kwargs={"pk": pk})).status_code in (404, 405)


def staff_url(name: str, route) -> str:
    """A URL of a staff route, with made-up ids (the portal session must not get that far)."""
    if name in TOKEN_ROUTES:
        return reverse(name, kwargs=TOKEN_ROUTES[name][0])
    if isinstance(route, ObjectRoute):
        try:
            return reverse(name, kwargs={route.kwarg: 1, **route.extra_kwargs})
        except NoReverseMatch:  # a record with a UUID key (documents)
            return reverse(
                name, kwargs={route.kwarg: "00000000-0000-4000-8000-000000000001", **route.extra_kwargs}
            )
    if isinstance(route, ListRoute):
        return reverse(name, kwargs=route.kwargs)
    return reverse(name)


STAFF_ROUTES = sorted(name for name, route in ROUTES.items() if route != PUBLIC)


def test_every_staff_url_with_a_portal_session_only_goes_to_the_staff_login(signed_in, ours):
    ticket = ticket_for(ours, "Visible only on the portal")
    assert STAFF_ROUTES, "the matrix lists the staff routes"
    problems = []
    for name in STAFF_ROUTES:
        url = staff_url(name, ROUTES[name])
        for method in (signed_in.get, signed_in.post):
            response = method(url)
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(reverse("login")):
                problems.append(f"{method.__name__.upper()} {url}: {response.status_code} {location}")
            if ticket.subject.encode() in response.content:
                problems.append(f"{url} shows a ticket")
    for url in (reverse("admin:index"), reverse("admin:contacts_company_changelist")):
        response = signed_in.get(url)
        assert response.status_code == 302 and "login/" in response["Location"], url
        assert ours.company.name.encode() not in response.content
    assert problems == []


def test_no_portal_page_shows_an_internal_note(signed_in, ours, admin):
    ticket = ticket_for(ours)
    services.ticket_note(actor=admin, ticket=ticket, body=NOTE)
    services.ticket_reply(actor=admin, ticket=ticket, body="A public reply")
    pages = []
    for name, pattern in PORTAL_ROUTES:
        if "<str:token>" in pattern or name in ("portal:sign_out", "portal:mail_in"):
            continue
        kwargs = {"pk": ticket.pk} if "<int:pk>" in pattern else {}
        pages.append(signed_in.get(reverse(name, kwargs=kwargs), {"q": "note", "show": "all"}))
    pages.append(signed_in.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": ""}))  # refused
    assert any(b"A public reply" in page.content for page in pages)
    assert not [page for page in pages if NOTE.encode() in page.content]


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
field_values = st.one_of(texts, st.sampled_from(["", " ", "\x00", "a" * 30_000, "<svg onload=alert(1)>"]))
tokens = st.text(alphabet=string.ascii_letters + string.digits + "-_%.~", min_size=1, max_size=120)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    email=field_values,
    token=tokens,
    subject=field_values,
    body=field_values,
    query=field_values,
    page=st.one_of(texts, st.integers().map(str)),
    raw=st.binary(max_size=300),
)
def test_fuzzing_the_portals_endpoints_finds_no_server_error(
    client, ours, monkeypatch, email, token, subject, body, query, page, raw
):
    monkeypatch.setattr(auth, "ADDRESS_LIMIT", (10**9, 60))
    monkeypatch.setattr(auth, "IP_LIMIT", (10**9, 60))
    cache.clear()
    ticket = Ticket.objects.filter(contact=ours.person).first() or ticket_for(ours)
    responses = [
        client.post(reverse("portal:sign_in"), {"email": email}),
        client.post(reverse("portal:sign_in"), raw, content_type="application/x-www-form-urlencoded"),
        client.get(f"/portal/sign-in/{token}/"),
        client.post(f"/portal/sign-in/{token}/"),
        client.get(reverse("portal:article_list"), {"q": query, "page": page}),
    ]
    session = auth.link_redeem(token=_fresh_token(ours.person))
    client.cookies[auth.COOKIE_NAME] = _signed_cookie(session.key)
    responses += [
        client.get(reverse("portal:ticket_list"), {"show": query, "page": page}),
        client.post(reverse("portal:ticket_create"), {"subject": subject, "description": body}),
        client.post(reverse("portal:ticket_create"), raw, content_type="multipart/form-data; boundary=xyz"),
        client.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": body}),
        client.post(reverse("portal:ticket_reply", args=[ticket.pk]), raw, content_type="text/plain"),
    ]
    client.cookies.pop(auth.COOKIE_NAME, None)
    assert all(response.status_code < 500 for response in responses), [r.status_code for r in responses]


def _fresh_token(person) -> str:
    import datetime
    import hashlib
    import secrets

    from django.utils import timezone

    from support.portal.models import PortalLink

    token = secrets.token_urlsafe(32)
    PortalLink.objects.create(
        person=person,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    return token


def _signed_cookie(key: str) -> str:
    from django.core import signing

    return signing.get_cookie_signer(salt=auth.COOKIE_NAME + auth.COOKIE_SALT).sign(key)
