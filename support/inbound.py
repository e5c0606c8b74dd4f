"""E-mail in (issue 15 item 4): a received mail (RFC 822 bytes) becomes a new ticket or a
customer's message on an existing one. Called by `manage.py support_mail_in < message.eml`
and by the mail gateway's HTTP endpoint (support.portal.inbound_views).

Which ticket a mail belongs to:
- the subject's tag `[#<id>-<reply key>]` (support.services.SUBJECT_TAG) when the key is that
  ticket's — a guessed id with a wrong key attaches nothing: the mail becomes a new ticket;
- else a Message-ID in In-Reply-To / References that one of our ticket mails went out (or came
  in) with; such ids are random, so knowing one means having the mail;
- else it is a new ticket (channel e-mail) in the queue whose address it was sent to (To, Cc,
  Delivered-To), or the default queue; its contact is the one person with the sender's address,
  else it keeps the address alone (requester_email).

Never answered, to stop mail loops: auto-replies and bulk mail (Auto-Submitted other than "no",
X-Autoreply / X-Autorespond, X-Auto-Response-Suppress, Precedence bulk / junk / auto_reply /
list), delivery reports, mail from our own sender or queue addresses, and a Message-ID already
received (each mail is logged once in portal.InboundMail under a unique key: a mail received
twice adds one ticket or message).

HTML: the text part is kept; HTML-only mail is turned into text, and its HTML is kept only as
sanitised by nh3. Attachments are not stored (yet): the message notes how many there were.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contacts.models import Person
from support import services
from support.models import Queue, Ticket, TicketMessage

MAX_BYTES = 25 * 1024 * 1024
MAX_BODY_CHARS = 100_000
TAG = re.compile(r"\[#(\d{1,18})-([A-Za-z0-9_-]{1,20})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,240}>")
BULK_PRECEDENCE = {"bulk", "junk", "auto_reply", "list"}


@dataclass(frozen=True)
class Result:
    outcome: str  # "created", "attached", "ignored" or "duplicate"
    ticket: Ticket | None = None
    message: TicketMessage | None = None
    reason: str = ""


def receive(raw: bytes) -> Result:
    """Turn one received mail into a ticket or a message on one; what became of it. Nothing is
    saved of a mail the ticket rules refuse (ignored, reason "invalid")."""
    try:
        return _receive(raw)
    except ValidationError:
        return Result("ignored", reason="invalid")


def _receive(raw: bytes) -> Result:
    if len(raw) > MAX_BYTES:
        return Result("ignored", reason="too large")
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # a parser failure on hostile input is a mail we ignore
        return Result("ignored", reason="unreadable")
    sender = _sender(mail)
    loop = _loop_reason(mail, sender)
    key = _message_key(mail, raw)
    with transaction.atomic():
        from support.portal.models import InboundMail

        try:
            with transaction.atomic():
                log = InboundMail.objects.create(key=key, outcome=InboundMail.Outcome.IGNORED)
        except IntegrityError:
            return Result("duplicate", reason="already received")
        if loop:
            InboundMail.objects.filter(pk=log.pk).update(reason=loop)
            return Result("ignored", reason=loop)
        if not sender:
            InboundMail.objects.filter(pk=log.pk).update(reason="no sender")
            return Result("ignored", reason="no sender")
        text, body_html, attachments = _content(mail)
        if attachments:
            note = _("(%(count)d attachment(s) not stored.)") % {"count": attachments}
            text = f"{text}\n\n{note}".strip()
        contact = _contact(sender)
        ticket = _ticket_of(mail)
        message_id = _message_id(mail)
        if ticket is not None:
            message = services.ticket_customer_message(
                ticket=ticket,
                body=text or _("(The e-mail had no text.)"),
                person=contact,
                email=sender,
                channel=Ticket.Channel.EMAIL,
                message_id=message_id,
                body_html=body_html,
            )
            InboundMail.objects.filter(pk=log.pk).update(outcome=InboundMail.Outcome.ATTACHED, ticket=ticket)
            return Result("attached", ticket=ticket, message=message)
        values = {
            "subject": (_clean_line(_header(mail, "Subject")) or _("(no subject)"))[:250],
            "description": text,
            "channel": Ticket.Channel.EMAIL,
            "queue": _queue(mail),
            "requester_email": sender,
        }
        if contact is not None:
            values["contact"] = contact
        ticket = services.ticket_create(actor=None, values=values)
        InboundMail.objects.filter(pk=log.pk).update(outcome=InboundMail.Outcome.CREATED, ticket=ticket)
        return Result("created", ticket=ticket)


# -- Headers -------------------------------------------------------------------------------------


def _header(mail: EmailMessage, name: str) -> str:
    """A header as text; "" when missing or so malformed that the parser gives up on it."""
    try:
        value = mail.get(name)
        return "" if value is None else str(value)
    except Exception:  # malformed headers of hostile mail
        return ""


def _clean_line(value: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()


def _addresses(mail: EmailMessage, *names: str) -> list[str]:
    values = [_header(mail, name) for name in names]
    return [address.strip().lower() for _name, address in email.utils.getaddresses(values) if address]


def _sender(mail: EmailMessage) -> str:
    """The sender's address ("" when missing or not a valid address)."""
    found = _addresses(mail, "From")
    if not found:
        return ""
    address = found[0]
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address if len(address) <= 254 else ""


def _own_addresses() -> set[str]:
    own = {email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    own.update(
        address.lower()
        for address in Queue.objects.exclude(email_address="").values_list("email_address", flat=True)
    )
    return own - {""}


def _loop_reason(mail: EmailMessage, sender: str) -> str:
    """Why the mail must not be answered (an auto-reply, bulk, a bounce, our own), or ""."""
    auto_submitted = _header(mail, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto-submitted"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(mail, name).strip():
            return "auto-reply"
    if _header(mail, "Precedence").strip().lower() in BULK_PRECEDENCE:
        return "bulk"
    if mail.get_content_type() == "multipart/report":
        return "delivery report"
    if _header(mail, "Return-Path").strip() == "<>":
        return "delivery report"
    from_addresses = set(_addresses(mail, "From"))
    if sender in _own_addresses() or from_addresses & _own_addresses():
        return "our own mail"
    return ""


def _message_id(mail: EmailMessage) -> str:
    found = MESSAGE_ID.search(_header(mail, "Message-ID"))
    return found.group(0) if found else ""


def _message_key(mail: EmailMessage, raw: bytes) -> str:
    """The mail's unique key: its Message-ID, or the hash of its bytes when it has none."""
    return _message_id(mail) or "sha256:" + hashlib.sha256(raw).hexdigest()


# -- Which ticket, which contact, which queue ---------------------------------------------------


def _ticket_of(mail: EmailMessage) -> Ticket | None:
    """The ticket the mail answers (by the subject's tag with its key, or the thread), or None."""
    for number, key in TAG.findall(_header(mail, "Subject")):
        ticket = Ticket.objects.filter(pk=int(number)).first()
        if ticket is not None and secrets.compare_digest(ticket.reply_key.encode(), key.encode()):
            return _followed(ticket)
    thread = MESSAGE_ID.findall(_header(mail, "In-Reply-To") + " " + _header(mail, "References"))
    if thread:
        message = (
            TicketMessage.objects.filter(message_id__in=thread[-50:])
            .exclude(kind=TicketMessage.Kind.NOTE)
            .select_related("ticket")
            .order_by("-created_at")
            .first()
        )
        if message is not None:
            return _followed(message.ticket)
    return None


def _followed(ticket: Ticket) -> Ticket:
    """A merged ticket's mail goes to the ticket it was merged into."""
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def _contact(address: str) -> Person | None:
    """The one person with this address; None when there is none or several (ambiguous)."""
    people = list(Person.objects.filter(email__iexact=address).order_by("pk")[:2])
    return people[0] if len(people) == 1 else None


def _queue(mail: EmailMessage) -> Queue | None:
    """The active queue the mail was addressed to, else None (the default queue)."""
    recipients = _addresses(mail, "To", "Cc", "Delivered-To", "X-Original-To")
    if not recipients:
        return None
    for queue in Queue.objects.filter(is_active=True).exclude(email_address=""):
        if queue.email_address.lower() in recipients:
            return queue
    return None


# -- The body -------------------------------------------------------------------------------------

BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote)\s*>")


def html_to_text(markup: str) -> str:
    """The readable text of an HTML mail: tags (and scripts, styles) dropped, lines kept."""
    marked = BLOCK_END.sub("\n", markup)
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_of(part) -> str:
    try:
        content = part.get_content()
    except Exception:  # an unknown charset or broken encoding
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
    return content if isinstance(content, str) else ""


def _content(mail: EmailMessage) -> tuple[str, str, int]:
    """(text, sanitised HTML, number of attachments) of the mail."""
    try:
        plain = mail.get_body(preferencelist=("plain",))
        rich = mail.get_body(preferencelist=("html",))
        attachments = sum(1 for _part in mail.iter_attachments()) if mail.is_multipart() else 0
    except Exception:  # a malformed MIME tree
        plain, rich, attachments = None, None, 0
    markup = _text_of(rich)[:MAX_BODY_CHARS] if rich is not None else ""
    text = _text_of(plain) if plain is not None else html_to_text(markup)
    text = text.replace("\x00", "").strip()[:MAX_BODY_CHARS]
    return text, nh3.clean(markup) if markup else "", attachments
