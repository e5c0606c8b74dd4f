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

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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
    _notify_watchers(locked, message)
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
    """An internal note: staff only, never mailed to the customer nor shown on the portal; the
    colleagues it @mentions (who may see the ticket) are mailed it."""
    message = _message(ticket, kind=TicketMessage.Kind.NOTE, author=actor, body=body)
    _notify_mentions(ticket, message)
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
    _notify_watchers(locked, message)
    if locked.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        ticket_set_status(actor=None, ticket=locked, status=Ticket.Status.OPEN)
    return message


# -- Watchers, mentions and the mail to colleagues (issue 15 item 6) ----------------------------

# "@username" in an internal note: a word character or one of . @ + - after the @, as Django's
# usernames allow; an e-mail address ("ann@example.com") is no mention (a word character before).
MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]+[\w])")


def mentioned_usernames(body: str) -> list[str]:
    """The usernames `body` mentions (@ann, @bo.berg), in order, each once."""
    return list(dict.fromkeys(MENTION.findall(body or "")))


def _visible(ticket: Ticket, user) -> bool:
    from crm import access

    return user.is_active and access.visible_to(Ticket.objects.filter(pk=ticket.pk), user).exists()


def _seeing(ticket: Ticket, users) -> list[User]:
    """Those of `users` with an address who may see `ticket`: a mail names its subject and body."""
    return [user for user in users if user.email and _visible(ticket, user)]


def _mail_colleagues(ticket: Ticket, message: TicketMessage, users, *, reason: str) -> None:
    """Queue one mail per message to each of `users` who may see the ticket (never the author)."""
    from crm.email import email_queue

    author_id = message.author_id
    recipients = [user for user in _seeing(ticket, users) if user.pk != author_id]
    if not recipients:
        return
    link = settings.CRM_PUBLIC_URL + ticket.get_absolute_url()
    for user in recipients:
        email_queue(
            recipients=[user.email],
            subject=f"{ticket.number} {ticket.subject}",
            body_text=_("%(reason)s\n\n%(body)s\n\n%(link)s")
            % {"reason": reason, "body": message.body, "link": link},
            dedupe_key=f"ticket-message-{message.pk}-user-{user.pk}",
        )


def _notify_watchers(ticket: Ticket, message: TicketMessage) -> None:
    if message.kind == TicketMessage.Kind.CUSTOMER:
        reason = _("The customer wrote on ticket %(number)s that you watch:") % {"number": ticket.number}
    else:
        reason = _("%(agent)s replied on ticket %(number)s that you watch:") % {
            "agent": message.author or _("An agent"),
            "number": ticket.number,
        }
    _mail_colleagues(ticket, message, ticket.watchers.all(), reason=reason)


def _notify_mentions(ticket: Ticket, message: TicketMessage) -> list[User]:
    """Mail the colleagues a note mentions (who may see the ticket); they are returned."""
    names = mentioned_usernames(message.body)
    if not names:
        return []
    users = _seeing(ticket, User.objects.filter(username__in=names, is_active=True))
    reason = _("%(agent)s mentioned you in a note on ticket %(number)s:") % {
        "agent": message.author or _("A colleague"),
        "number": ticket.number,
    }
    _mail_colleagues(ticket, message, users, reason=reason)
    return users


@transaction.atomic
def ticket_watch(*, actor: User, ticket: Ticket, user: User) -> None:
    """`user` watches `ticket` (mailed on the customer's messages and on replies). One may add
    only a colleague who may see the ticket."""
    if not _visible(ticket, user):
        raise ValidationError({"user": _("%(user)s cannot see this ticket.") % {"user": user}})
    ticket.watchers.add(user)
    audit_record(actor=actor, verb="watch", instance=ticket, changes={"watcher": user.username})


@transaction.atomic
def ticket_unwatch(*, actor: User, ticket: Ticket, user: User) -> None:
    ticket.watchers.remove(user)
    audit_record(actor=actor, verb="unwatch", instance=ticket, changes={"watcher": user.username})


# -- Merging duplicates (issue 15 item 1) -------------------------------------------------------


@transaction.atomic
def ticket_merge(*, actor: User, survivor: Ticket, duplicate: Ticket) -> Ticket:
    """Merge `duplicate` into `survivor`: its conversation, watchers and documents move over, it
    is closed with `merged_into` set, and a note on each says so."""
    from django.contrib.contenttypes.models import ContentType

    from crm.models import Document

    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("A ticket cannot be merged into itself.")})
    # Both rows locked in id order, so two merges of the same pair cannot deadlock or cross.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk]).order_by("pk")
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if duplicate.merged_into_id is not None:
        raise ValidationError({"duplicate": _("That ticket was already merged into another.")})
    if survivor.merged_into_id is not None:
        raise ValidationError({"duplicate": _("This ticket was merged into another: merge into that one.")})
    TicketMessage.objects.filter(ticket=duplicate).update(ticket=survivor)
    survivor.watchers.add(*duplicate.watchers.all())
    Document.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=duplicate.pk
    ).update(object_id=survivor.pk)
    if duplicate.first_responded_at and not survivor.first_responded_at:
        Ticket.objects.filter(pk=survivor.pk).update(first_responded_at=duplicate.first_responded_at)
    Ticket.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    duplicate.merged_into = survivor
    ticket_set_status(actor=actor, ticket=duplicate, status=Ticket.Status.CLOSED)
    _message(
        survivor,
        kind=TicketMessage.Kind.NOTE,
        author=actor,
        body=_("Ticket %(number)s (%(subject)s) was merged into this one.")
        % {"number": duplicate.number, "subject": duplicate.subject},
    )
    _message(
        duplicate,
        kind=TicketMessage.Kind.NOTE,
        author=actor,
        body=_("Merged into ticket %(number)s.") % {"number": survivor.number},
    )
    audit_record(actor=actor, verb="merge", instance=survivor, changes={"merged": duplicate.pk})
    return survivor


# -- Calls (seed 004 "call-centre management"; issue 15 item 6) ---------------------------------


class CallDirection:
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    CHOICES = [(INBOUND, _lazy("Inbound call")), (OUTBOUND, _lazy("Outbound call"))]


def call_subject(direction: str, ticket: Ticket | None) -> str:
    if ticket is not None:
        template = (
            _("Inbound call on ticket %(number)s")
            if direction == CallDirection.INBOUND
            else _("Outbound call on ticket %(number)s")
        )
        return template % {"number": ticket.number}
    return _("Inbound call") if direction == CallDirection.INBOUND else _("Outbound call")


def phone_call_type():
    from activities.models import ActivityType

    return (
        ActivityType.objects.filter(name="Phone call").first() or ActivityType.objects.order_by("pk").first()
    )


@transaction.atomic
def call_log(
    *,
    actor: User,
    direction: str,
    duration_minutes: int,
    outcome: str = "",
    notes: str = "",
    ticket: Ticket | None = None,
    company=None,
    person=None,
    callback_at=None,
):
    """Log a call (an activity in history: phone call, duration, outcome) on a ticket (its company
    and contact) or a customer; with `callback_at`, an open call to-do for the actor too (their
    callback list). Returns (call, callback or None)."""
    from activities import services as activity_services

    if direction not in (CallDirection.INBOUND, CallDirection.OUTBOUND):
        raise ValidationError({"direction": _("Choose inbound or outbound.")})
    if ticket is not None:
        company = company or ticket.company
        person = person or ticket.contact
    if company is None and person is None:
        raise ValidationError(_("A call is logged on a ticket with a customer, a company or a person."))
    links = {"company": company, "person": person}
    subject = call_subject(direction, ticket)
    call = activity_services.activity_create(
        actor=actor,
        values={
            "subject": subject,
            "activity_type": phone_call_type(),
            "status": "done",
            "duration_minutes": duration_minutes,
            "outcome": (outcome or "").strip(),
            "notes": (notes or "").strip(),
            "due_at": timezone.now(),
            "owner": actor,
            **links,
        },
    )
    callback = None
    if callback_at is not None:
        callback = activity_services.activity_create(
            actor=actor,
            values={
                "subject": _("Call back: %(subject)s") % {"subject": ticket.subject if ticket else subject},
                "activity_type": phone_call_type(),
                "due_at": callback_at,
                "duration_minutes": 15,
                "notes": ticket.get_absolute_url() if ticket is not None else "",
                "owner": actor,
                **links,
            },
        )
    if ticket is not None:
        audit_record(actor=actor, verb="call", instance=ticket, changes={"activity": call.pk})
    return call, callback
