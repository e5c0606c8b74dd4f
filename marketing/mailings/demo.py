"""Demo e-mail campaign (issue 14, item 10): one sent campaign with opens, clicks, an unsubscribe
and a bounce, all through the real services. The demo's mails go to the in-memory backend (they
are demo people: nobody is mailed). Safe to run more than once."""

from __future__ import annotations

import random

from django.core.mail import get_connection

from marketing import segments
from marketing.mailings import services
from marketing.mailings.models import EmailCampaign, Recipient
from marketing.models import Campaign, Segment

NAME = "Film preservation newsletter: spring issue"
BODY = (
    "Hello {{ contact.first_name }},\n\n"
    "This spring we digitised 40,000 metres of nitrate film. Read how: https://example.com/film-preservation\n"
    "Ask for a quote for {{ company.name }}: https://example.com/pricing\n\n"
    "{{ user.full_name }}"
)


def demo_mailings_ensure(*, users) -> int:
    """Create and send the demo campaign once; returns the number of its recipients."""
    existing = EmailCampaign.objects.filter(name=NAME).first()
    if existing is not None:
        return existing.recipients.count()
    actor = users.get("manager") or users["admin"]
    campaign = Campaign.objects.filter(kind=Campaign.Kind.EMAIL).order_by(
        "pk"
    ).first() or Campaign.objects.create(
        name="Film preservation newsletter", kind=Campaign.Kind.EMAIL, owner=actor
    )
    segment = Segment.objects.filter(name="Contacts who agree to e-mail").first() or Segment.objects.create(
        name="Contacts who agree to e-mail",
        owner=actor,
        definition={"consent": "yes"},
        description="Everyone with marketing consent who has not unsubscribed.",
    )
    mailing = services.mailing_create(
        actor=actor,
        values={
            "name": NAME,
            "campaign": campaign,
            "segment": segment,
            "subject": "Spring news for {{ contact.first_name }}",
            "body": BODY,
        },
    )
    if not segments.reachable(segments.members(segment, actor)).exists():
        return 0
    services.mailing_send(actor=actor, mailing=mailing)
    backend = get_connection("django.core.mail.backends.locmem.EmailBackend")
    while services.send_batch(mailing_id=mailing.pk, connection_=backend):
        pass  # the last call finds nothing left and marks the campaign sent
    chance = random.Random(14)
    rows = list(Recipient.objects.filter(email_campaign=mailing).order_by("pk").values_list("pk", flat=True))
    for pk in rows:
        if chance.random() < 0.45:
            services.record_open(recipient_id=pk)
        if chance.random() < 0.15:
            services.record_click(recipient_id=pk, link=chance.randrange(2))
    if len(rows) > 2:
        services.record_unsubscribe(recipient_id=rows[-1])
        services.mark_bounced(recipients=Recipient.objects.filter(pk=rows[-2]))
    return len(rows)
