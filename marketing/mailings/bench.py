"""The benchmark data set's e-mail campaign (crm/management/commands/bench_seed.py): a campaign
sent to 50,000 people, with opens, clicks, unsubscribes and bounces, written in bulk (the sending
itself is measured by `manage.py bench_mailings`), so that the every-route benchmark walks the
stats page, the recipient list and the person card's panel at volume."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from contacts.models import Person
from marketing.mailings.models import EmailCampaign, MailEvent, Recipient
from marketing.models import Campaign, Segment

NAME = "Bench newsletter"
RECIPIENTS = 50_000


@transaction.atomic
def bench_mailings_seed(*, admin, recipients: int = RECIPIENTS) -> dict[str, int]:
    """Seed once; returns what was made ({} when it was there already)."""
    if EmailCampaign.objects.filter(name=NAME).exists():
        return {}
    campaign = Campaign.objects.create(name=NAME, kind=Campaign.Kind.EMAIL, owner=admin)
    segment = Segment.objects.create(name=NAME, owner=admin, definition={"consent": "yes"})
    now = timezone.now()
    mailing = EmailCampaign.objects.create(
        name=NAME, campaign=campaign, segment=segment, owner=admin, sent_by=admin,
        subject="News for {{ contact.first_name }}", body="Read https://example.com/news",
        links=["https://example.com/news"], status=EmailCampaign.Status.SENT, started_at=now, finished_at=now,
    )  # fmt: skip
    chance = random.Random(14)
    people = Person.objects.order_by("pk").values_list("pk", "email")[:recipients]
    rows = []
    for person_id, email in people.iterator(chunk_size=10_000):
        opened = now if chance.random() < 0.4 else None
        clicked = now if opened and chance.random() < 0.3 else None
        rows.append(
            Recipient(
                email_campaign=mailing, person_id=person_id, email=email or f"p{person_id}@bench.example",
                status=Recipient.Status.SENT, sent_at=now, opened_at=opened, clicked_at=clicked,
                unsubscribed_at=now if chance.random() < 0.005 else None,
                bounced_at=now if chance.random() < 0.01 else None,
            )
        )  # fmt: skip
    Recipient.objects.bulk_create(rows, batch_size=5000)
    events = []
    for row in rows:
        for kind, at in (
            (MailEvent.Kind.OPENED, row.opened_at),
            (MailEvent.Kind.CLICKED, row.clicked_at),
            (MailEvent.Kind.UNSUBSCRIBED, row.unsubscribed_at),
            (MailEvent.Kind.BOUNCED, row.bounced_at),
        ):
            if at is not None:
                link = 0 if kind == MailEvent.Kind.CLICKED else -1
                events.append(MailEvent(recipient=row, kind=kind, link=link, occurred_at=at))
    MailEvent.objects.bulk_create(events, batch_size=5000)
    return {"recipients": len(rows), "events": len(events)}
