"""The one write path of tickets (issue 15): staff pages, the portal, inbound mail, Django admin,
imports and tasks all call these, so none skips the SLA clock, an assignment rule, an audit row
or the mail to the customer.

- `ticket_create` files a ticket: its queue (the default one unless chosen), the queue's team,
  an agent by the queue's rule when none is chosen, its SLA policy and due times.
- `ticket_update` changes its fields against the version the form was read at; a change of
  priority moves the due times, a change of status pauses or resumes the resolution clock.
- `ticket_reply` (public, mailed to the customer, the first one stops the first-response
  clock), `ticket_note` (internal) and `ticket_customer_message` (the customer wrote: a
  ticket waiting on them or resolved opens again) add to the conversation.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.exceptions import StaleRecordError
from crm.models import User
from crm.services import audit_record, record_create
from support import assignment, sla
from support.models import Queue, Ticket, TicketMessage

# The tag in the subject of every mail about a ticket: inbound mail finds its ticket by it, and
# only when the key matches the ticket (a guessed number alone attaches nothing).
SUBJECT_TAG = "[#{pk}-{key}]"

EDITABLE_FIELDS = ["subject", "description", "company", "contact", "priority", "status", "channel", "queue",
                   "deal", "product", "owner", "requester_email"]  # fmt: skip


def subject_tag(ticket: Ticket) -> str:
    return SUBJECT_TAG.format(pk=ticket.pk, key=ticket.reply_key)


def default_queue() -> Queue | None:
    return Queue.objects.filter(is_default=True, is_active=True).first()


@transaction.atomic
def ticket_create(*, actor: User | None, values: dict[str, Any]) -> Ticket:
    """File a new ticket (`values`: the model's fields by name). `actor` is None when the
    customer filed it (portal, e-mail)."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not ticket fields: {sorted(unknown)}")
    ticket = Ticket(**values)
    ticket.created_at = timezone.now()
    if ticket.queue_id is None:
        ticket.queue = default_queue()
    if ticket.queue is not None and ticket.queue.team_id:
        ticket.team_id = ticket.queue.team_id
    if ticket.contact_id and not ticket.company_id:
        ticket.company_id = ticket.contact.company_id
    if ticket.owner_id is None:
        ticket.owner = assignment.next_agent(ticket.queue)
    if ticket.owner_id is not None and ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.OPEN
    sla.start(ticket)
    return record_create(actor=actor, instance=ticket)


CLOCK_FIELDS = ["paused_at", "paused_minutes", "first_response_due_at", "resolution_due_at", "resolved_at",
                "closed_at"]  # fmt: skip


@transaction.atomic
def ticket_update(*, actor: User, ticket: Ticket, values: dict[str, Any], version: int) -> Ticket:
    """Change a ticket's fields (StaleRecordError when someone saved it since `version`); the SLA
    clock follows a change of status or priority, in the same save (one history row)."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not ticket fields: {sorted(unknown)}")
    stored = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if stored.version != version:
        raise StaleRecordError(current=stored)
    before = {name: getattr(stored, name) for name in values}
    old_status, old_priority = stored.status, stored.priority
    for name, value in values.items():
        setattr(stored, name, value)
    if "queue" in values and stored.queue is not None and stored.queue.team_id:
        stored.team_id = stored.queue.team_id
    stored.full_clean()
    _follow_clock(stored, old_status=old_status, old_priority=old_priority)
    stored.version += 1
    _attribute_history(stored, actor)
    stored.save()
    changed = {name: value for name, value in values.items() if before[name] != value}
    audit_record(actor=actor, verb="update", instance=stored, changes=changed)
    return stored


def _follow_clock(ticket: Ticket, *, old_status: str, old_priority: str) -> None:
    """The SLA clock follows a change of status or priority (not saved)."""
    if ticket.status != old_status:
        sla.on_status_change(ticket, old_status, at=timezone.now())
    if ticket.priority != old_priority:
        sla.refresh_due_times(ticket)


@transaction.atomic
def ticket_set_status(*, actor: User | None, ticket: Ticket, status: str) -> Ticket:
    """Move a ticket to `status` (its version moves too, so an open edit form is refused)."""
    if status not in Ticket.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    stored = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if stored.status == status:
        return stored
    old_status = stored.status
    stored.status = status
    _follow_clock(stored, old_status=old_status, old_priority=stored.priority)
    stored.version += 1
    _attribute_history(stored, actor)
    stored.save(update_fields=["status", "version", "updated_at", *CLOCK_FIELDS])
    audit_record(actor=actor, verb="update", instance=stored, changes={"status": status})
    return stored


def _attribute_history(ticket: Ticket, actor) -> None:
    if getattr(actor, "is_authenticated", False):
        ticket._history_user = actor


def _message(ticket: Ticket, **values) -> TicketMessage:
    body = (values.get("body") or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    values["body"] = body
    return TicketMessage.objects.create(ticket=ticket, **values)


@transaction.atomic
def ticket_reply(*, actor: User, ticket: Ticket, body: str, status: str | None = None) -> TicketMessage:
    """An agent's public reply: mailed to the customer; the first one is the first response.
    `status` (e.g. waiting on customer) is set with it; else a new ticket becomes open."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    message = _message(locked, kind=TicketMessage.Kind.REPLY, author=actor, body=body)
    if locked.first_responded_at is None:
        Ticket.objects.filter(pk=locked.pk).update(first_responded_at=message.created_at)
        locked.first_responded_at = message.created_at
    _mail_reply(locked, message)
    new_status = status or (Ticket.Status.OPEN if locked.status == Ticket.Status.NEW else None)
    if new_status and new_status != locked.status:
        ticket_set_status(actor=actor, ticket=locked, status=new_status)
    audit_record(actor=actor, verb="reply", instance=locked)
    return message


def _mail_reply(ticket: Ticket, message: TicketMessage) -> None:
    """Queue the reply to the customer (the contact's address, else the requester's)."""
    from crm.email import email_queue

    address = (
        ticket.contact.email if ticket.contact_id and ticket.contact.email else ""
    ) or ticket.requester_email
    if not address:
        return
    outbound = email_queue(
        recipients=[address],
        subject=f"{subject_tag(ticket)} {ticket.subject}",
        body_text=message.body,
    )
    TicketMessage.objects.filter(pk=message.pk).update(message_id=outbound.message_id)


@transaction.atomic
def ticket_note(*, actor: User, ticket: Ticket, body: str) -> TicketMessage:
    """An internal note: staff only, never mailed nor shown on the portal."""
    message = _message(ticket, kind=TicketMessage.Kind.NOTE, author=actor, body=body)
    audit_record(actor=actor, verb="note", instance=ticket)
    return message


@transaction.atomic
def ticket_customer_message(
    *,
    ticket: Ticket,
    body: str,
    person=None,
    email: str = "",
    channel: str = Ticket.Channel.OTHER,
    message_id: str = "",
    body_html: str = "",
) -> TicketMessage:
    """The customer wrote (portal, e-mail): a ticket waiting on them, resolved or closed opens
    again (the resolution clock resumes)."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    message = _message(
        locked,
        kind=TicketMessage.Kind.CUSTOMER,
        author_person=person,
        author_email=email,
        channel=channel,
        message_id=message_id,
        body=body,
        body_html=body_html,
    )
    Ticket.objects.filter(pk=locked.pk).update(last_customer_message_at=message.created_at)
    if locked.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        ticket_set_status(actor=None, ticket=locked, status=Ticket.Status.OPEN)
    return message
