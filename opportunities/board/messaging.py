"""Batch text messages to the customers on the sales board (seed 001: "send Batch SMS to all
customers in the scoreboard view (SMS must be enabled for this project)").

Only a pipeline whose `sms_enabled` an administrator turned on may send them. A deal's customer
is reached through its primary contact, the person the deal is worked with; an unprocessed
customer (a company without an open deal, shown when the board asks for them) has no such person,
so each of its contact people is texted, as a CRM campaign texts a company's contacts who agreed.
A contact receives the message only if the user can see them, they have a phone number and
they agreed to calls and SMS; the others are counted as skipped. A person who is the primary
contact of several deals gets one message. Sending needs the "opportunities.change_deal"
permission (whoever works the deals may write to their contacts); each batch leaves one audit
row on the pipeline with the text and who it went to. The messages are queued in the outbox
(crm.sms, crm.outbox) in the same transaction as the audit row and sent by a worker through a
pluggable backend (settings.CRM_SMS_BACKEND; by default they are only logged), so a slow gateway
never holds the page and a worker that dies mid-batch loses or repeats none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Trim
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import Person
from crm import access, sms
from crm.services import audit_record
from opportunities.board import selectors as board

MAX_LENGTH = 480
MAX_RECIPIENTS = 2_000
PERMISSION = "opportunities.change_deal"
SMS_DISABLED = gettext_lazy(
    "Text messages are not enabled for this pipeline; an administrator can turn them on in its settings."
)


def sms_enabled(pipeline) -> bool:
    """Whether the board of `pipeline` may send batch text messages."""
    return pipeline.sms_enabled


@dataclass
class Recipients:
    """Who on the board can receive a text message, and why the others cannot."""

    people: list[Person] = field(default_factory=list)  # read only to send
    reachable: int = 0  # how many people will receive it
    deals: int = 0
    without_contact: int = 0  # deals with no primary contact
    companies: int = 0  # unprocessed customers (no deal) in the board's view
    companies_without_people: int = 0  # of them, those with no contact person the user can see
    hidden: int = 0  # primary contacts the user cannot see
    not_editable: int = 0  # deals on the board the user may not edit (their contacts not texted)
    without_phone: int = 0
    without_consent: int = 0

    @property
    def skipped(self) -> int:
        """People who will not receive the message: hidden, without a phone or without consent."""
        return self.hidden + self.without_phone + self.without_consent


@dataclass(frozen=True)
class MessageReport:
    queued: int
    skipped: int


def board_recipients(*, user, query: board.BoardQuery, with_people: bool = True) -> Recipients:
    """The primary contacts of every deal the board shows, and when it shows unprocessed
    customers the contact people of those, sorted into who may be texted.

    Counted by PostgreSQL in two queries (three with unprocessed customers) however many deals
    the board holds; the people themselves are read only to send (`with_people`), not to show
    the form."""
    # Only the contacts of deals and customers the user may work (edit) are texted; a deal on
    # the board that is someone else's to work is counted, its contact not written to.
    shown = board.board_deals(user=user, query=query).order_by()
    deals = access.editable_by(shown, user)
    recipients_not_editable = shown.count() - deals.count() if access.edit_scope(user) is not None else 0
    counts = deals.aggregate(
        deals=Count("pk"),
        without_contact=Count("pk", filter=Q(primary_contact__isnull=True)),
        contacts=Count("primary_contact_id", distinct=True),
    )
    of_deals = Q(pk__in=deals.values("primary_contact_id"))
    recipients = Recipients(
        deals=counts["deals"], without_contact=counts["without_contact"], not_editable=recipients_not_editable
    )
    pool = of_deals
    if query.show_unprocessed:
        # A customer without a deal has no primary contact: its contact people are texted.
        companies = access.editable_by(
            board.unprocessed_companies(user=user, query=query).select_related(None).order_by(), user
        )
        has_people = Person.objects.visible_to(user).filter(company=OuterRef("pk"))
        unprocessed = companies.aggregate(
            count=Count("pk"), without_people=Count("pk", filter=~Exists(has_people))
        )
        recipients.companies = unprocessed["count"]
        recipients.companies_without_people = unprocessed["without_people"]
        pool |= Q(company_id__in=companies.values("pk"))
    visible = Person.objects.visible_to(user).filter(pool).annotate(phone_number=Trim("phone"))
    without_phone = Q(phone_number="")
    # No consent to be phoned, or unsubscribed from what is sent to many (GDPR, issue 13).
    without_consent = Q(consent_phone=False) | Q(unsubscribed_at__isnull=False)
    people = visible.aggregate(
        seen=Count("pk"),
        seen_of_deals=Count("pk", filter=of_deals),
        without_phone=Count("pk", filter=without_phone),
        without_consent=Count("pk", filter=~without_phone & without_consent),
    )
    recipients.hidden = counts["contacts"] - people["seen_of_deals"]
    recipients.without_phone = people["without_phone"]
    recipients.without_consent = people["without_consent"]
    recipients.reachable = people["seen"] - recipients.without_phone - recipients.without_consent
    if with_people:
        reachable = visible.exclude(without_phone).exclude(without_consent)
        recipients.people = list(
            reachable.only("pk", "first_name", "last_name", "phone", "consent_phone").order_by("pk")
        )
    return recipients


def board_message_send(*, actor, query: board.BoardQuery, body: str) -> MessageReport:
    """Queue `body` for every primary contact on the board who may receive it; one audit row."""
    if not actor.has_perm(PERMISSION):
        raise PermissionDenied
    if not sms_enabled(query.pipeline):
        raise PermissionDenied(SMS_DISABLED)
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write the message."))
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            _("A message has at most %(max)s characters; this one has %(count)s.")
            % {"max": MAX_LENGTH, "count": len(body)}
        )
    recipients = board_recipients(user=actor, query=query)
    if not recipients.reachable:
        raise ValidationError(_("Nobody on the board has a phone number and agreed to text messages."))
    if recipients.reachable > MAX_RECIPIENTS:
        raise ValidationError(
            _("That is %(count)s people; narrow the board down to at most %(max)s.")
            % {"count": recipients.reachable, "max": MAX_RECIPIENTS}
        )
    with transaction.atomic():
        sms.sms_queue_many([(person.phone, body) for person in recipients.people])
        audit_record(
            actor=actor,
            verb="batch message",
            instance=query.pipeline,
            changes={
                "body": body,
                "sent_to": [person.pk for person in recipients.people],
                "skipped": recipients.skipped,
            },
        )
    return MessageReport(queued=len(recipients.people), skipped=recipients.skipped)
