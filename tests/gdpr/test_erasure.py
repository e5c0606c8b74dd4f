"""The "forget this person" request: recorded with who asked, when and how, due in 30 days
(GDPR art. 12(3)), listed for those who manage personal data, then completed by the anonymise
service or refused with a reason — every step in the GDPR log, no old value in the request."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.models import Person
from gdpr import erasure
from gdpr.models import ErasureRequest, GdprEvent
from tests.factories import PersonFactory
from tests.gdpr.test_services import _tables_holding

LIST = "gdpr:erasure_request_list"
PERSON = "gdpr:person_erasure_requests"
DECIDE = "gdpr:person_erasure_request_decide"
ROLES = ["admin", "manager", "rep", "rep_other_team", "restricted"]
MAY_MANAGE = {"admin", "manager"}


@pytest.fixture
def vera(personas):
    return PersonFactory(
        first_name="Vera", last_name="Vergessen", email="vera@forget.example", owner=personas.rep
    )


def _record(actor, person, **values):
    values = {"channel": "email", **values}
    return erasure.erasure_request_record(actor=actor, record=person, **values)


def test_a_request_is_due_thirty_days_after_receipt_and_logged(manager, vera):
    received = timezone.localdate() - datetime.timedelta(days=3)
    request = _record(manager, vera, received_on=received, notes="Sent from her private address")
    assert request.due_on == received + datetime.timedelta(days=30)
    assert request.status == "open" and request.recorded_by == manager
    event = GdprEvent.objects.get(action="request", object_id=vera.pk)
    assert event.detail["request"] == request.pk and event.actor == manager


def test_one_open_request_per_person(manager, vera):
    _record(manager, vera)
    with pytest.raises(erasure.ErasureRequestError):
        _record(manager, vera, channel="phone")
    assert ErasureRequest.objects.count() == 1


def test_a_request_received_in_the_future_is_refused(manager, vera):
    with pytest.raises(ValidationError):
        _record(manager, vera, received_on=timezone.localdate() + datetime.timedelta(days=2))
    assert not ErasureRequest.objects.exists()


def test_completing_anonymises_and_scrubs_the_request_itself(manager, vera):
    request = _record(
        manager, vera, requester="Vergessen & Partners for Vera Vergessen", notes="vera@forget.example"
    )
    erasure.erasure_request_complete(actor=manager, record=vera, request_pk=request.pk)
    vera.refresh_from_db()
    request.refresh_from_db()
    assert vera.first_name == "Anonymised"
    assert request.status == "completed" and request.decided_by == manager and request.decided_at
    assert "Vergessen" not in request.requester and "vera@" not in request.notes
    assert _tables_holding("Vergessen") == []
    assert GdprEvent.objects.filter(action="anonymise", object_id=vera.pk).count() == 1


def test_a_refusal_needs_a_reason_and_changes_nothing_of_the_person(manager, vera):
    request = _record(manager, vera)
    with pytest.raises(ValidationError):
        erasure.erasure_request_refuse(actor=manager, record=vera, request_pk=request.pk, reason="  ")
    erasure.erasure_request_refuse(
        actor=manager, record=vera, request_pk=request.pk, reason="Legal hold: dispute"
    )
    request.refresh_from_db()
    vera.refresh_from_db()
    assert request.status == "refused" and request.refusal_reason == "Legal hold: dispute"
    assert vera.first_name == "Vera"
    assert GdprEvent.objects.get(action="refusal", object_id=vera.pk).reason == "Legal hold: dispute"


def test_a_decided_request_cannot_be_decided_again(manager, vera):
    request = _record(manager, vera)
    erasure.erasure_request_refuse(actor=manager, record=vera, request_pk=request.pk, reason="Contract")
    with pytest.raises(erasure.ErasureRequestError):
        erasure.erasure_request_complete(actor=manager, record=vera, request_pk=request.pk)
    vera.refresh_from_db()
    assert vera.first_name == "Vera"


def test_a_rep_cannot_record_or_decide(rep, vera):
    with pytest.raises(PermissionDenied):
        _record(rep, vera)
    assert not ErasureRequest.objects.exists()


# -- Views ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ROLES)
def test_the_open_request_list_for_each_role(client, personas, persona):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse(LIST)).status_code == (200 if persona in MAY_MANAGE else 403)


@pytest.mark.parametrize("persona", ROLES)
def test_recording_a_request_for_each_role(client, personas, persona, vera):
    client.force_login(getattr(personas, persona))
    url = reverse(PERSON, args=[vera.pk])
    response = client.post(url, {"channel": "phone", "received_on": timezone.localdate().isoformat()})
    if persona in MAY_MANAGE:
        assert response.status_code == 302
        assert ErasureRequest.objects.filter(object_id=vera.pk, channel="phone").count() == 1
        assert client.get(url).status_code == 200
    else:
        assert response.status_code == 403
        assert not ErasureRequest.objects.exists()


@pytest.mark.parametrize("persona", ROLES)
def test_completing_a_request_for_each_role(client, personas, persona, vera, manager):
    request = _record(manager, vera)
    client.force_login(getattr(personas, persona))
    response = client.post(reverse(DECIDE, args=[vera.pk, request.pk]), {"decision": "complete"})
    vera.refresh_from_db()
    request.refresh_from_db()
    if persona in MAY_MANAGE:
        assert response.status_code == 302
        assert vera.first_name == "Anonymised" and request.status == "completed"
    else:
        assert response.status_code == 403
        assert vera.first_name == "Vera" and request.status == "open"


def test_a_bad_channel_is_shown_next_to_the_field_and_saves_nothing(client, manager, vera):
    client.force_login(manager)
    response = client.post(reverse(PERSON, args=[vera.pk]), {"channel": "pigeon", "received_on": "yesterday"})
    assert response.status_code == 400
    assert b"pigeon" in response.content or b"valid choice" in response.content
    assert not ErasureRequest.objects.exists()


def test_a_refusal_without_a_reason_through_the_page_changes_nothing(client, manager, vera):
    request = _record(manager, vera)
    client.force_login(manager)
    response = client.post(reverse(DECIDE, args=[vera.pk, request.pk]), {"decision": "refuse"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "open"


def test_a_request_of_another_person_answers_404(client, manager, vera):
    other = PersonFactory(first_name="Other")
    request = _record(manager, other)
    client.force_login(manager)
    response = client.post(reverse(DECIDE, args=[vera.pk, request.pk]), {"decision": "complete"})
    assert response.status_code == 404
    assert Person.objects.get(pk=other.pk).first_name == "Other"


def test_the_list_names_no_person_hidden_from_the_viewer(client, personas, managers_see_only_their_teams):
    visible = PersonFactory(first_name="Shownrequest", owner=personas.manager)
    hidden = PersonFactory(first_name="Hiddenrequest", owner=personas.rep_other_team)
    _record(personas.admin, visible)
    _record(personas.admin, hidden, received_on=timezone.localdate() - datetime.timedelta(days=40))
    client.force_login(personas.manager)
    page = client.get(reverse(LIST)).content.decode()
    assert "Shownrequest" in page and "Hiddenrequest" not in page
    client.force_login(personas.admin)
    page = client.get(reverse(LIST)).content.decode()
    assert "Shownrequest" in page and "Hiddenrequest" in page and "overdue" in page


def test_the_list_reads_the_same_number_of_queries_for_1_and_10_requests(client, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse(LIST)).status_code == 200
        return len(context.captured_queries)

    client.force_login(manager)
    _record(manager, PersonFactory())
    queries()  # warm: the session, the permissions and the content types are cached
    one = queries()
    for _ in range(9):
        _record(manager, PersonFactory())
    assert queries() == one


def test_the_card_offers_the_requests_page_to_those_who_manage(client, manager, rep, vera):
    client.force_login(manager)
    assert reverse(PERSON, args=[vera.pk]) in client.get(vera.get_absolute_url()).content.decode()
    client.force_login(rep)  # the owner, without the GDPR permission
    assert reverse(PERSON, args=[vera.pk]) not in client.get(vera.get_absolute_url()).content.decode()
