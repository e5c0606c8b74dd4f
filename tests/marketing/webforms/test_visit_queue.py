"""The fast tracking endpoint and its drain, on the test run's real Redis: reports are checked
and queued without the database, the drain writes them set-wise with the same rows and scores
as one-by-one recording would, exactly once even when a drain dies or two run at once."""

import io
import json
import time
from urllib.parse import urlencode

import pytest
import redis
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.models import Lead
from marketing import scoring, visitors
from marketing.models import Grade, PersonScore, ScoreEvent, ScoreKind, ScoreRule
from marketing.webforms import beacon, services, visit_queue
from marketing.webforms.models import PagePattern, PageVisit, VisitBatch
from tests.factories import LeadFactory, PersonFactory
from tests.marketing.webforms.conftest import drain

pytestmark = pytest.mark.django_db


def call(method="POST", body=b"", content_type="application/x-www-form-urlencoded", **extra):
    """Call the beacon WSGI application as gunicorn does: (status code, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": beacon.PATH,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "192.0.2.1",
        "wsgi.input": io.BytesIO(body),
        **extra,
    }
    started = {}

    def start_response(status, headers):
        started["status"], started["headers"] = status, dict(headers)

    chunks = beacon.application(environ, start_response)
    return int(started["status"][:3]), started["headers"], b"".join(chunks)


def report(token, url="https://www.example.com/pricing", **extra):
    return call(body=urlencode({"url": url, "vid": token}).encode(), **extra)[0]


def consenting(**values):
    return PersonFactory(consent_email=True, **values)


def consented_lead(web_form):
    result = services.submission_accept(
        form=web_form, values={"last_name": "Doe", "email": "lead@acme.example", "consent": True}
    )
    return Lead.objects.get(pk=result.lead.pk), result.visitor_token


def test_reports_are_queued_without_the_database_and_written_by_the_drain(
    web_form, django_assert_num_queries
):
    people = [consenting() for _ in range(3)]
    tokens = [visitors.visitor_token(person_id=person.pk) for person in people]
    with django_assert_num_queries(0):
        for token in tokens:
            for page in ("/pricing", "/blog/a", "/contact/thank-you"):
                assert report(token, f"https://www.example.com{page}") == 204
    assert visit_queue.queued() == 9 and not PageVisit.objects.exists()
    result = drain()
    assert (result.events, result.recorded, visit_queue.queued()) == (9, 9, 0)
    for person in people:
        visits = PageVisit.objects.filter(person=person)
        assert sorted(visits.values_list("points", flat=True)) == [1, 10, 10]
        assert PersonScore.objects.get(person=person).score == 21
        events = ScoreEvent.objects.filter(person=person, kind=ScoreKind.PAGE_VISITED)
        assert sorted(events.values_list("detail", flat=True)) == sorted(visits.values_list("url", flat=True))
    assert drain().events == 0  # nothing left: a second drain writes nothing
    assert PageVisit.objects.count() == 9


def test_the_drain_follows_only_consenting_visitors_and_tracked_pages(web_form):
    followed = consenting()
    no_consent = PersonFactory(consent_email=False)
    unsubscribed = consenting(unsubscribed_at=timezone.now())
    lead, lead_token = consented_lead(web_form)
    silent_lead = LeadFactory()  # never ticked a form's consent box
    disqualified, disqualified_token = lead, lead_token
    PagePattern.objects.create(pattern="/portal", points=0, excluded=True)
    for token in (
        visitors.visitor_token(person_id=followed.pk),
        visitors.visitor_token(person_id=no_consent.pk),
        visitors.visitor_token(person_id=unsubscribed.pk),
        visitors.visitor_token(person_id=987654321),  # signed, but nobody
        visitors.visitor_token(lead_id=silent_lead.pk),
        # a person without consent and a lead with it: only the lead is followed
        visitors.visitor_token(person_id=no_consent.pk, lead_id=lead.pk),
        visitors.visitor_token(person_id=followed.pk)[:-2] + "xx",  # forged: never queued
    ):
        assert report(token) == 204
    assert report(visitors.visitor_token(person_id=followed.pk), "https://w.example/portal/me") == 204
    assert visit_queue.queued() == 7
    result = drain()
    assert (result.events, result.recorded) == (7, 2)
    assert set(PageVisit.objects.values_list("person_id", "lead_id")) == {
        (followed.pk, None),
        (None, lead.pk),
    }
    lead.refresh_from_db()
    assert lead.score == 10 + 10  # the submission and the pricing page
    # a disqualified lead is no longer followed
    Lead.objects.filter(pk=disqualified.pk).update(status=Lead.Status.DISQUALIFIED)
    assert report(disqualified_token) == 204
    assert drain().recorded == 0


def test_a_changed_pattern_applies_to_visits_drained_after_it(web_form, personas):
    person = consenting()
    token = visitors.visitor_token(person_id=person.pk)
    assert report(token) == 204
    drain()
    pattern = PagePattern.objects.get(pattern="/pricing")
    pattern.points = 25
    services.pattern_save(actor=personas.admin, pattern=pattern)
    services._forget_patterns()
    assert report(token) == 204
    drain()
    assert sorted(PageVisit.objects.values_list("points", flat=True)) == [10, 25]
    assert PersonScore.objects.get(person=person).score == 35


def test_record_events_bulk_gives_what_record_event_gives_one_by_one():
    Grade.objects.all().delete()
    Grade.objects.create(label="A", min_score=20)
    Grade.objects.create(label="B", min_score=5)
    ScoreRule.objects.update_or_create(kind=ScoreKind.LINK_CLICKED, defaults={"points": 7})
    one_by_one = [consenting(), LeadFactory()]
    in_bulk = [consenting(), LeadFactory()]
    scoring.record_event(kind=ScoreKind.PAGE_VISITED, person=one_by_one[0], points=3)  # an earlier score
    PersonScore.objects.create(person=in_bulk[0], score=3, grade="")
    plan = [
        (ScoreKind.PAGE_VISITED, 4, True, False),
        (ScoreKind.LINK_CLICKED, None, True, True),
        (ScoreKind.PAGE_VISITED, 10, False, True),
        (ScoreKind.UNSUBSCRIBED, None, True, False),
    ]
    for kind, points, with_person, with_lead in plan:
        scoring.record_event(
            kind=kind,
            person=one_by_one[0] if with_person else None,
            lead=one_by_one[1] if with_lead else None,
            points=points,
            detail="x",
        )
    recorded = scoring.record_events_bulk(
        scoring.Event(
            kind=kind,
            person_id=in_bulk[0].pk if with_person else None,
            lead_id=in_bulk[1].pk if with_lead else None,
            points=points,
            detail="x",
        )
        for kind, points, with_person, with_lead in plan
    )
    assert recorded == 4
    for expected, got in zip(one_by_one, in_bulk, strict=True):
        expected.refresh_from_db()
        got.refresh_from_db()
    expected_score = PersonScore.objects.get(person=one_by_one[0])
    got_score = PersonScore.objects.get(person=in_bulk[0])
    assert (
        (got_score.score, got_score.grade)
        == (expected_score.score, expected_score.grade)
        == (3 + 4 + 7 - 3, "B")
    )
    assert (in_bulk[1].score, in_bulk[1].grade) == (one_by_one[1].score, one_by_one[1].grade) == (17, "B")

    def events(**subject):
        return sorted(ScoreEvent.objects.filter(**subject).values_list("kind", "points", "detail"))

    earlier = (ScoreKind.PAGE_VISITED, 3, "")
    assert events(person=one_by_one[0]) == sorted([*events(person=in_bulk[0]), earlier])
    assert events(lead=one_by_one[1]) == events(lead=in_bulk[1])
    assert scoring.record_events_bulk([]) == 0
    with pytest.raises(ValueError):
        scoring.record_events_bulk([scoring.Event(kind=ScoreKind.PAGE_VISITED, points=1)])


# -- exactly once ------------------------------------------------------------------------------


def _queue(count, person):
    token = visitors.visitor_token(person_id=person.pk)
    for number in range(count):
        assert report(token, f"https://www.example.com/blog/{number}") == 204


def test_a_batch_claimed_by_a_drain_that_died_is_written_once_by_the_next(monkeypatch):
    person = consenting()
    _queue(5, person)
    # A drain claims a batch and dies before writing it.
    claimed = visit_queue._script(visit_queue._CLAIM)(
        keys=[visit_queue.queue_key(), visit_queue._processing_key("dead"), visit_queue._batches_key()],
        args=[3, "dead", time.time()],
    )
    assert len(claimed) == 3 and visit_queue.queued() == 2
    assert drain().events == 2  # the dead drain's batch is still within its lease: left alone
    assert PageVisit.objects.count() == 2
    monkeypatch.setattr(visit_queue, "LEASE_SECONDS", -1)
    result = drain()
    assert (result.events, result.recorded) == (3, 3)
    assert PageVisit.objects.count() == 5 and PersonScore.objects.get(person=person).score == 5
    assert drain().events == 0
    assert PageVisit.objects.count() == 5


def test_a_drain_that_died_after_writing_its_batch_is_not_written_twice(monkeypatch):
    person = consenting()
    _queue(4, person)
    finish = visit_queue._finish
    monkeypatch.setattr(visit_queue, "_finish", lambda batch: (_ for _ in ()).throw(redis.ConnectionError()))
    with pytest.raises(redis.ConnectionError):
        drain()  # committed, then Redis went away before the batch's list was deleted
    assert PageVisit.objects.count() == 4
    monkeypatch.setattr(visit_queue, "_finish", finish)
    monkeypatch.setattr(visit_queue, "LEASE_SECONDS", -1)
    result = drain()
    assert (result.events, result.recorded, result.batches) == (4, 0, 1)
    assert PageVisit.objects.count() == 4 and PersonScore.objects.get(person=person).score == 4
    assert not visit_queue.client().exists(visit_queue._batches_key())


def test_two_drains_writing_the_same_batch_write_it_once():
    """A drain only slow (past its lease) and the one that took its batch over: the second
    commit fails on the batch key and writes nothing."""
    person = consenting()
    _queue(3, person)
    items = visit_queue._script(visit_queue._CLAIM)(
        keys=[visit_queue.queue_key(), visit_queue._processing_key("slow"), visit_queue._batches_key()],
        args=[10, "slow", time.time() - 3600],
    )
    assert visit_queue._write("slow", items) == 3
    assert visit_queue._write("slow", items) is None
    assert PageVisit.objects.count() == 3 and VisitBatch.objects.get(key="slow").events == 3


def test_malformed_queue_entries_are_skipped():
    person = consenting()
    client = visit_queue.client()
    good = visit_queue.encode(
        person_id=person.pk, lead_id=None, url="https://w.example/", path="/", at=time.time()
    )
    client.rpush(
        visit_queue.queue_key(),
        b"not json",
        json.dumps({"p": "1", "l": None, "u": "x", "a": "/", "t": 1}),
        json.dumps({"p": None, "l": None, "u": "x", "a": "/", "t": 1}),
        json.dumps({"p": person.pk, "l": None, "u": "x", "a": "/", "t": 1e20}),
        good,
    )
    result = drain()
    assert (result.events, result.recorded) == (5, 1)


def test_the_queue_has_a_cap(monkeypatch):
    monkeypatch.setattr(visit_queue, "MAX_QUEUED", 2)
    _queue(4, consenting())
    assert visit_queue.queued() == 2


# -- the WSGI endpoint -------------------------------------------------------------------------


def test_the_beacon_answers_like_the_django_route_with_the_sites_security_headers():
    token = visitors.visitor_token(person_id=consenting().pk)
    status, headers, body = call(body=urlencode({"url": "https://w.example/", "vid": token}).encode())
    assert status == 204 and body == b""
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, headers, body = call("GET")
    assert status == 200 and b"POST" in body and headers["Content-Type"].startswith("text/plain")
    assert call("HEAD")[2] == b""
    assert call("PUT")[0] == 405
    assert call(body=b"x" * (beacon.MAX_VISIT_BYTES + 1))[0] == 413
    assert call(body=b"url=ftp://x/&vid=a")[0] == 400
    assert call(body=b"{", content_type="application/json")[0] == 400
    assert call(CONTENT_LENGTH="nope")[0] == 413
    multipart = (
        b'--xyz\r\nContent-Disposition: form-data; name="url"\r\n\r\nhttps://w.example/pricing\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="vid"\r\n\r\n' + token.encode() + b"\r\n--xyz--\r\n"
    )
    assert call(body=multipart, content_type="multipart/form-data; boundary=xyz")[0] == 204
    assert drain().recorded == 2


def test_the_wsgi_entry_point_sends_the_tracking_path_to_the_beacon():
    from crm import wsgi

    responses = []
    environ = {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": beacon.PATH,
        "wsgi.input": io.BytesIO(b""),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    wsgi.application(environ, lambda status, headers: responses.append((status, dict(headers))))
    status, headers = responses[0]
    assert status.startswith("405") and "default-src 'none'" in headers["Content-Security-Policy"]
    # Its requests get no access-log line each (crm.gunicorn_logging) unless refused.
    assert environ["crm.quiet_access_log"] is True


def test_the_beacon_rate_limits_per_address_across_processes(monkeypatch):
    monkeypatch.setattr(beacon, "VISIT_LIMIT", (2, 60))
    token = visitors.visitor_token(person_id=consenting().pk)
    assert [report(token) for _ in range(3)] == [204, 204, 429]
    assert call(body=b"garbage")[0] == 429  # counted before it is judged
    assert report(token, REMOTE_ADDR="192.0.2.77") == 204
    assert drain().recorded == 3


def test_a_queue_that_does_not_answer_is_a_503_not_a_500(monkeypatch):
    def down(**kwargs):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(visit_queue, "accept", down)
    token = visitors.visitor_token(person_id=consenting().pk)
    assert report(token) == 503


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", ""]),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/json",
            "text/plain",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "",
            "application/octet-stream",
        ]
    ),
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(["url", "vid", "crm_vid"]) | st.text(max_size=10), st.text(max_size=60)
        ).map(lambda fields: urlencode(fields).encode()),
        st.dictionaries(
            st.sampled_from(["url", "vid", "crm_vid"]),
            st.one_of(st.text(max_size=60), st.integers(), st.none(), st.lists(st.integers(), max_size=3)),
        ).map(lambda fields: json.dumps(fields).encode()),
    ),
    length=st.one_of(st.none(), st.sampled_from(["", "-5", "abc", "99999999999", "0"])),
)
def test_fuzzing_the_beacon_finds_no_server_error(monkeypatch, method, content_type, body, length):
    monkeypatch.setattr(beacon, "VISIT_LIMIT", (10**9, 60))
    extra = {} if length is None else {"CONTENT_LENGTH": length}
    status, _headers, _body = call(method, body, content_type, **extra)
    assert status < 500
    drain()  # whatever was queued is written or skipped, never an error
