"""How a customer signs in to the portal: the magic link and the portal session (issue 15 item 8).

- `link_request` mails a single-use link, valid LINK_MINUTES, to a known contact's address. The
  caller shows the same answer whether the address is known or not (no account enumeration),
  and every request counts against limits per address and per client IP (crm.ratelimit), known
  address or not, so that the limits reveal nothing either.
- `link_redeem` spends a link (once: the row is locked and marked used in one transaction) and
  opens a `PortalSession`. Following a link with GET only shows a "Sign in" button that POSTs,
  because mail scanners fetch the links in mails.
- The session key lives in a signed cookie of its own (COOKIE_NAME, sent to the portal's paths
  only), never in Django's session; only hashes of keys and tokens are stored.

Who may sign in: a person with that e-mail address who belongs to a company (the portal shows
their company's tickets) and has not been anonymised. Service mail is transactional, so an
unsubscribe from marketing mail does not stop it.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from contacts.models import Person
from crm import ratelimit
from crm.email import email_queue
from gdpr.services import anonymised, is_anonymised
from support.portal.models import PortalLink, PortalSession

LINK_MINUTES = 15
SESSION_HOURS = 12
COOKIE_NAME = "crm_portal"
COOKIE_SALT = "support.portal.session"
# Per address: a few mails an hour is plenty for a person; per IP: an office signs in together.
ADDRESS_LIMIT = (5, 60 * 60)
IP_LIMIT = (30, 60 * 60)
# One address may belong to people of several companies (a consultant): one link each, capped.
MAX_LINKS_PER_MAIL = 5


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def people_who_may_sign_in(email: str) -> QuerySet[Person]:
    """The people a link to `email` signs in: that address, of a company, not anonymised."""
    return (
        Person.objects.filter(email__iexact=email.strip(), company__isnull=False)
        .alias(gone=anonymised(Person))
        .filter(gone=False)
        .select_related("company")
        .order_by("company__name", "pk")
    )


@dataclass(frozen=True)
class LinkRequest:
    allowed: bool  # False: over a rate limit, nothing was sent


def link_request(*, email: str, ip: str) -> LinkRequest:
    """Mail sign-in links to `email` if it is a contact's; the answer is the same either way
    except when a rate limit is reached (counted for unknown addresses too)."""
    email = email.strip().lower()
    address_limit, address_window = ADDRESS_LIMIT
    ip_limit, ip_window = IP_LIMIT
    within_ip = ratelimit.allowed("portal-link-ip", ip, limit=ip_limit, window_seconds=ip_window)
    within_address = ratelimit.allowed(
        "portal-link-address", email, limit=address_limit, window_seconds=address_window
    )
    if not (within_ip and within_address):
        return LinkRequest(allowed=False)
    try:
        validate_email(email)
    except ValidationError:
        return LinkRequest(allowed=True)
    people = list(people_who_may_sign_in(email)[:MAX_LINKS_PER_MAIL])
    if people:
        _mail_links(email, people)
    return LinkRequest(allowed=True)


@transaction.atomic
def _mail_links(email: str, people: list[Person]) -> None:
    now = timezone.now()
    links = []
    for person in people:
        token = secrets.token_urlsafe(32)
        PortalLink.objects.create(
            person=person,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=LINK_MINUTES),
        )
        url = settings.CRM_PUBLIC_URL + reverse("portal:link", kwargs={"token": token})
        links.append({"company": person.company.name, "url": url})
    context = {"links": links, "minutes": LINK_MINUTES}
    email_queue(
        recipients=[email],
        subject=render_to_string("portal/emails/link_subject.txt", context).strip(),
        body_text=render_to_string("portal/emails/link_body.txt", context),
    )


def link_find(token: str) -> PortalLink | None:
    """The unspent, unexpired link of `token` (None for a forged, spent or expired one)."""
    if not token or len(token) > 100:
        return None
    return (
        PortalLink.objects.filter(
            token_hash=_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("person__company")
        .first()
    )


@dataclass(frozen=True)
class SignedIn:
    session: PortalSession
    key: str  # for the cookie; only its hash is stored


@transaction.atomic
def link_redeem(*, token: str) -> SignedIn | None:
    """Spend the link of `token` and open a portal session; None when the link is forged, spent,
    expired, or its person may no longer sign in."""
    if not token or len(token) > 100:
        return None
    now = timezone.now()
    # Spent by a conditional update: of two requests racing with one link, one signs in.
    spent = PortalLink.objects.filter(
        token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if spent != 1:
        return None
    link = PortalLink.objects.select_related("person").get(token_hash=_hash(token))
    if not people_who_may_sign_in(link.person.email).filter(pk=link.person_id).exists():
        return None
    key = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        person=link.person,
        key_hash=_hash(key),
        created_at=now,
        expires_at=now + datetime.timedelta(hours=SESSION_HOURS),
    )
    return SignedIn(session=session, key=key)


def session_find(key: str) -> PortalSession | None:
    """The open session of a cookie's key, with its person and company; None once the person
    may no longer sign in."""
    if not key or len(key) > 100:
        return None
    session = (
        PortalSession.objects.filter(
            key_hash=_hash(key), ended_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("person__company")
        .first()
    )
    # A person anonymised or moved out of every company meanwhile is signed out.
    if session is None or session.person.company_id is None or is_anonymised(session.person):
        return None
    return session


def session_end(*, session: PortalSession) -> None:
    """Sign out: the session's key opens nothing from now on."""
    PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=timezone.now())


def sweep(*, now: datetime.datetime | None = None) -> int:
    """Delete links and sessions over a day past their end (a daily task); how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=1)
    links, _ = PortalLink.objects.filter(expires_at__lt=cutoff).delete()
    sessions, _ = PortalSession.objects.filter(expires_at__lt=cutoff).delete()
    return links + sessions
