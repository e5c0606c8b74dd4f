"""Segments and e-mail campaigns for the access matrix and the growth test
(tests/test_access_matrix.py's `records` and tests/test_page_growth.py's world take them from
here, as "segment" and "email_campaign"): one per kind of owner, like the other records."""

from __future__ import annotations

from django.utils import timezone

from contacts.models import Person
from marketing.mailings.models import EmailCampaign, MailEvent, Recipient
from marketing.models import Campaign, Segment

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def _owners(personas) -> dict:
    owners = {key: {"owner": getattr(personas, key)} for key in OWNER_KEYS}
    owners["unassigned"] = {"owner": None}
    owners["south_team"] = {"owner": personas.admin, "team": personas.south}
    return owners


def segments_by_owner(personas, definition: dict | None = None) -> dict[str, Segment]:
    """One segment per kind of owner (by default of everyone who agrees to e-mail; `{}`: everyone)."""
    definition = {"consent": "yes"} if definition is None else definition
    return {
        key: Segment.objects.create(name=f"Segment of {key}", definition=definition, **owner)
        for key, owner in _owners(personas).items()
    }


def email_campaigns_by_owner(
    personas, segments: dict[str, Segment] | None = None
) -> dict[str, EmailCampaign]:
    segments = segments or segments_by_owner(personas)
    campaign = Campaign.objects.create(name="E-mail campaigns' campaign", kind=Campaign.Kind.EMAIL)
    return {
        key: EmailCampaign.objects.create(
            name=f"Mailing of {key}",
            campaign=campaign,
            segment=segments[key],
            subject="Hello {{ contact.first_name }}",
            body="See https://example.com/offer",
            **owner,
        )
        for key, owner in _owners(personas).items()
    }


def grow_recipients(
    email_campaign: EmailCampaign, people: list[Person] | None = None, *, start: int = 0
) -> None:
    """Recipients of `email_campaign` (sent, opened and clicked, each with an open event): the
    given people, or everyone not yet one of its recipients."""
    if people is None:
        people = list(Person.objects.exclude(email_campaign_recipients__email_campaign=email_campaign))
    now = timezone.now()
    rows = Recipient.objects.bulk_create(
        Recipient(
            email_campaign=email_campaign, person=person, email=f"r{start + n}@example.com",
            status=Recipient.Status.SENT, sent_at=now, opened_at=now, clicked_at=now,
        )
        for n, person in enumerate(people)
    )  # fmt: skip
    MailEvent.objects.bulk_create(MailEvent(recipient=row, kind=MailEvent.Kind.OPENED) for row in rows)


def content_email_campaigns(personas, people: dict[str, Person]) -> dict[str, EmailCampaign]:
    """For the name check (tests/access_matrix.py): one e-mail campaign per kind of owner, each
    sent to every person of the data set, so that its recipient list would name hidden people if
    it did not filter them."""
    mailings = email_campaigns_by_owner(personas, segments_by_owner(personas, {}))
    for mailing in mailings.values():
        grow_recipients(mailing, list(people.values()))
    return mailings
