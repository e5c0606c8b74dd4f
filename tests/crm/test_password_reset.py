"""Password reset (crm.password_reset): throttled per address and per client, and the request does
the same work whether or not an account uses the address; a worker looks it up and mails."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import password_reset
from crm.models import OutboundEmail, QueuedTask, User
from tests.factories import UserFactory

NEUTRAL = "If an account uses that address, a link to reset the password is on its way."


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def queued_resets() -> list[dict]:
    """The reset lookups queued for a worker (crm.outbox.enqueue), not run."""
    return [task.kwargs for task in QueuedTask.objects.filter(function=password_reset.TASK_NAME)]


def ask(client, address, ip="192.0.2.10", **extra):
    return client.post(reverse("password_reset"), {"email": address}, REMOTE_ADDR=ip, **extra)


# The same work for known and unknown addresses


@pytest.mark.parametrize("address", ["rep@example.com", "nobody@example.com"])
def test_known_and_unknown_addresses_both_enqueue_the_mail_task(
    client, rep, address, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = ask(client, address)
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert queued_resets() == [
        {"address": address, "domain": "testserver", "use_https": False, "language": "en"}
    ]
    assert not OutboundEmail.objects.exists()


def test_the_request_never_reads_the_users_table_and_runs_the_same_queries_for_any_address(
    client, rep, django_capture_on_commit_callbacks
):
    statements = {}
    for address in ("rep@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
            ask(client, address)
        # The queued row's arguments and time differ, its statement does not.
        statements[address] = [
            re.sub(r"'[0-9-]+ [0-9:.+]+'::timestamptz", "?", query["sql"].replace(address, "?"))
            for query in queries
        ]
    assert statements["rep@example.com"] == statements["nobody@example.com"]
    assert not any(User._meta.db_table in sql for sql in statements["rep@example.com"])


def test_the_task_mails_a_known_address_and_nothing_to_an_unknown_one(
    rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        password_reset.password_reset_send(
            address="nobody@example.com", domain="crm.example.com", use_https=True
        )
        password_reset.password_reset_send(
            address="REP@example.com", domain="crm.example.com", use_https=True
        )
    assert [message.to for message in mail.outbox] == [["rep@example.com"]]
    assert "https://crm.example.com/accounts/password/reset/" in mail.outbox[0].body


# Throttling


def test_the_sixth_request_for_one_address_in_an_hour_sends_no_mail_and_says_the_same(
    client, rep, django_capture_on_commit_callbacks
):
    responses = []
    for attempt in range(password_reset.LIMIT_PER_ADDRESS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            # From a new client each time, and in another case: the address is what is counted.
            address = "REP@example.com" if attempt % 2 else "rep@example.com"
            responses.append(ask(client, address, ip=f"198.51.100.{attempt + 1}"))
    assert len(mail.outbox) == password_reset.LIMIT_PER_ADDRESS
    assert {(response.status_code, response["Location"]) for response in responses} == {
        (302, reverse("password_reset_done"))
    }
    assert NEUTRAL in client.get(responses[-1]["Location"]).content.decode()


def test_the_sixth_request_from_one_client_in_an_hour_sends_no_mail(
    client, db, django_capture_on_commit_callbacks
):
    users = UserFactory.create_batch(password_reset.LIMIT_PER_CLIENT + 1)
    for user in users:
        with django_capture_on_commit_callbacks(execute=True):
            response = ask(client, user.email, ip="203.0.113.5")
        assert response["Location"] == reverse("password_reset_done")
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        user.email for user in users[: password_reset.LIMIT_PER_CLIENT]
    )


def test_a_forged_forwarded_for_header_does_not_escape_the_client_limit(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.CRM_TRUSTED_PROXY_COUNT = 0
    users = UserFactory.create_batch(password_reset.LIMIT_PER_CLIENT + 1)
    for number, user in enumerate(users):
        with django_capture_on_commit_callbacks(execute=True):
            ask(client, user.email, ip="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.9.9.{number}")
    assert len(mail.outbox) == password_reset.LIMIT_PER_CLIENT


def test_the_limits_of_one_address_leave_other_addresses_alone(
    client, rep, manager, django_capture_on_commit_callbacks
):
    for attempt in range(password_reset.LIMIT_PER_ADDRESS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            ask(client, "rep@example.com", ip=f"198.51.100.{attempt + 1}")
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "manager@example.com", ip="198.51.100.200")
    assert mail.outbox[-1].to == ["manager@example.com"]
