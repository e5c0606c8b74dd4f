"""The person card's panel: the e-mail campaigns the person received and what they did."""

from __future__ import annotations

from marketing.mailings.models import Recipient
from marketing.mailings.services import PERMISSION

PANEL_ROWS = 10


def person_panel_context(person, user) -> dict:
    # The card is already visible to `user`; the rows are this person's own mails.
    rows = list(
        Recipient.objects.filter(person=person)
        .select_related("email_campaign")
        .only(
            "email_campaign__name", "status", "sent_at", "opened_at", "clicked_at", "unsubscribed_at",
            "bounced_at", "email_campaign_id",
        )
        .order_by("-pk")[:PANEL_ROWS]
    )  # fmt: skip
    return {"rows": rows, "can_open": user.has_perm(PERMISSION)}
