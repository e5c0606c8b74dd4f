"""The portal's customers: two companies, each with a contact, and a client signed in as one."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from crm.models import OutboundEmail
from support import services
from tests.factories import CompanyFactory, PersonFactory


@dataclass
class Customer:
    company: object
    person: object
    colleague: object


@pytest.fixture
def ours(db):
    company = CompanyFactory(name="Arkiv Ours AB")
    return Customer(
        company=company,
        person=PersonFactory(first_name="Olga", last_name="Ours", email="olga@ours.example", company=company),
        colleague=PersonFactory(
            first_name="Carl", last_name="Colleague", email="carl@ours.example", company=company
        ),
    )


@pytest.fixture
def theirs(db):
    company = CompanyFactory(name="Other Theirs AB")
    return Customer(
        company=company,
        person=PersonFactory(
            first_name="Tove", last_name="Theirs", email="tove@theirs.example", company=company
        ),
        colleague=PersonFactory(
            first_name="Tim", last_name="Theirs", email="tim@theirs.example", company=company
        ),
    )


def ticket_for(customer: Customer, subject: str = "Scanner jams", description: str = "It jams on A3."):
    return services.ticket_create(
        actor=None,
        values={
            "subject": subject,
            "description": description,
            "channel": "portal",
            "contact": customer.person,
        },
    )


def last_link(address: str) -> str:
    """The path of the sign-in link in the newest mail to `address` (from the outbox row)."""
    mail = OutboundEmail.objects.filter(recipients__contains=[address]).order_by("-pk").first()
    assert mail is not None, f"no mail to {address}"
    return re.search(r"https?://[^/\s]+(/portal/sign-in/[^/\s]+/)", mail.body_text).group(1)


def sign_in(client, address: str) -> None:
    """Ask for a link, follow it and press "Sign in", as a customer would."""
    client.post(reverse("portal:sign_in"), {"email": address})
    response = client.post(last_link(address))
    assert response.status_code == 302 and response["Location"] == reverse("portal:ticket_list")


@pytest.fixture
def signed_in(client, ours):
    sign_in(client, ours.person.email)
    return client


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
