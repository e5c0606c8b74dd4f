"""The public endpoints — the attack surface: the form page and its submission, the visit report.
Bad input gets a clear 4xx and stores nothing; floods are rate-limited; fuzzing finds no 500."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.models import Lead
from marketing import visitors
from marketing.webforms import beacon, public_views
from marketing.webforms.models import PageVisit, Submission
from tests.factories import PersonFactory
from tests.marketing.webforms.conftest import drain

pytestmark = pytest.mark.django_db
VALID = {"last_name": "Doe", "email": "jane@acme.example", "consent": "on"}


def form_url(web_form):
    return reverse("webforms_public:form_page", kwargs={"key": web_form.public_key})


def test_the_public_form_shows_its_fields_and_may_be_framed_by_any_site(client, web_form):
    response = client.get(form_url(web_form))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="last_name"' in body and 'name="email"' in body and 'name="phone"' not in body
    assert 'name="website"' in body  # the honeypot
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_a_submission_thanks_the_visitor_and_creates_the_lead(web_form):
    client = Client(enforce_csrf_checks=True)  # posted from another site: no CSRF token
    response = client.post(form_url(web_form), VALID)
    assert response.status_code == 200
    assert b"Thanks, we will call you." in response.content
    lead = Lead.objects.get(email="jane@acme.example")
    token = response.content.decode().split('data-visitor="')[1].split('"')[0]
    assert visitors.visitor_from_token(token).lead_id == lead.pk


def test_a_json_client_gets_the_visitor_token(client, web_form):
    response = client.post(form_url(web_form), VALID, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert visitors.visitor_from_token(response.json()["visitor"]).lead_id == Lead.objects.get().pk


def test_a_redirecting_form_sends_the_visitor_on_with_the_token(client, web_form):
    web_form.redirect_url = "https://www.example.com/thank-you?x=1"
    web_form.save()
    response = client.post(form_url(web_form), VALID)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc == "www.example.com"
    query = parse_qs(location.query)
    assert query["x"] == ["1"] and visitors.visitor_from_token(query["crm_vid"][0]) is not None


def test_the_honeypot_thanks_a_bot_and_stores_nothing(client, web_form):
    response = client.post(form_url(web_form), {**VALID, "website": "http://spam.example"})
    assert response.status_code == 200
    assert not Lead.objects.exists() and not Submission.objects.exists()


def test_invalid_input_is_answered_400_with_the_errors_and_stores_nothing(client, web_form):
    response = client.post(form_url(web_form), {"last_name": "x" * 500, "email": "not-an-email"})
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert not Lead.objects.exists()


def test_an_oversized_submission_is_refused_413(client, web_form):
    response = client.post(form_url(web_form), {**VALID, "message": "x" * (public_views.MAX_FORM_BYTES + 1)})
    assert response.status_code == 413
    assert not Lead.objects.exists()


def test_submissions_from_one_address_are_rate_limited(client, web_form):
    limit, _window = public_views.FORM_LIMIT
    statuses = [
        client.post(form_url(web_form), {**VALID, "email": f"p{n}@x.example"}).status_code
        for n in range(limit + 2)
    ]
    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429, 429]
    assert Lead.objects.count() == limit
    # another client address is not affected
    assert client.post(form_url(web_form), VALID, REMOTE_ADDR="192.0.2.9").status_code == 200


def test_a_closed_or_unknown_form_is_not_found(client, web_form):
    web_form.is_active = False
    web_form.save()
    assert client.get(form_url(web_form)).status_code == 404
    assert client.post(form_url(web_form), VALID).status_code == 404
    assert not Lead.objects.exists()


# -- the visit endpoint ----------------------------------------------------------------------------

VISIT_URL = "/w/t/visit"


@pytest.fixture
def token():
    return visitors.visitor_token(person_id=PersonFactory(consent_email=True).pk)


def test_the_visit_endpoint_records_a_known_visitor_from_another_site(token):
    client = Client(enforce_csrf_checks=True)
    response = client.post(VISIT_URL, {"url": "https://www.example.com/pricing", "vid": token})
    assert response.status_code == 204
    assert not PageVisit.objects.exists()  # queued: written by the drain
    drain()
    assert PageVisit.objects.get().points == 10


def test_the_visit_endpoint_takes_json_too(client, token):
    body = json.dumps({"url": "https://www.example.com/blog", "crm_vid": token})
    assert client.post(VISIT_URL, body, content_type="text/plain").status_code == 204
    drain()
    assert PageVisit.objects.get().points == 1


def test_a_forged_token_is_answered_204_and_stores_nothing(client, token):
    response = client.post(VISIT_URL, {"url": "https://www.example.com/", "vid": token + "x"})
    assert response.status_code == 204
    assert drain().events == 0 and not PageVisit.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        (json.dumps({"url": 5, "vid": "x"}), "application/json"),
        ("url=javascript:alert(1)&vid=x", "application/x-www-form-urlencoded"),
        ("url=http://[&vid=x", "application/x-www-form-urlencoded"),
        ("vid=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "text/plain"),
    ],
)
def test_malformed_visits_are_answered_400(client, body, content_type):
    assert client.post(VISIT_URL, body, content_type=content_type).status_code == 400


def test_an_oversized_visit_is_refused_413_and_get_records_nothing(client, token):
    big = {"url": "https://www.example.com/" + "a" * beacon.MAX_VISIT_BYTES, "vid": token}
    assert client.post(VISIT_URL, big).status_code == 413
    assert client.get(VISIT_URL, {"url": "https://www.example.com/", "vid": token}).status_code == 200
    assert client.put(VISIT_URL).status_code == 405
    drain()
    assert not PageVisit.objects.exists()


def test_visits_from_one_address_are_rate_limited(client, token, monkeypatch):
    monkeypatch.setattr(beacon, "VISIT_LIMIT", (3, 60))
    statuses = [
        client.post(VISIT_URL, {"url": "https://w.example/", "vid": token}).status_code for _ in range(5)
    ]
    assert statuses == [204, 204, 204, 429, 429]
    drain()
    assert PageVisit.objects.count() == 3
    # another client address is not affected
    other = client.post(VISIT_URL, {"url": "https://w.example/", "vid": token}, REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 204


# -- fuzzing ---------------------------------------------------------------------------------------

texts = st.one_of(st.text(max_size=300), st.binary(max_size=100).map(lambda raw: raw.decode("latin-1")))
fields = st.dictionaries(
    st.sampled_from(
        [
            "first_name",
            "last_name",
            "email",
            "company_name",
            "message",
            "consent",
            "website",
            "url",
            "vid",
            "crm_vid",
        ]
    )
    | st.text(max_size=20),
    texts,
    max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=fields, as_json=st.booleans(), raw=st.binary(max_size=200))
def test_fuzzing_the_form_and_the_visit_endpoint_finds_no_server_error(
    client, web_form, monkeypatch, data, as_json, raw
):
    monkeypatch.setattr(beacon, "VISIT_LIMIT", (10**9, 60))  # else 429 before the payloads are read
    cache.clear()
    for url in (form_url(web_form), VISIT_URL):
        for response in (
            client.post(url, json.dumps(data), content_type="application/json")
            if as_json
            else client.post(url, data),
            client.post(url, raw, content_type="application/x-www-form-urlencoded"),
            client.post(url, raw, content_type="multipart/form-data; boundary=xyz"),
        ):
            assert response.status_code < 500, (url, data, raw)
