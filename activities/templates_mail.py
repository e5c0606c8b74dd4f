"""E-mail templates: the merge of {{ object.field }} fields, and sending one from a person or deal.

The merge is deliberately not the Django template language: an admin-written text must not reach
attributes, methods or template tags (a tag or a method could read any table). It knows one form,
``{{ object.field }}``, looked up in `FIELDS` — an allow-list of getters per object — and refuses
anything else (``{% … %}``, filters, unknown objects or fields) with a message that lists what
exists. The text part is the merge as is; the HTML part escapes every merged value.

Which records a merge sees is the caller's business: `merge_context` only takes records the sender
may see (a person's company the sender cannot see is simply not there), so a template never
prints the name of a record hidden from the sender.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from activities import services
from activities.models import Activity, ActivityType, EmailTemplate
from crm.email import email_queue
from crm.models import OutboundEmail

FIELD = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")
# Anything that looks like template syntax but is not a plain merge field.
SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\{|\{%", re.DOTALL)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _user_name(user) -> str:
    return user.get_full_name() or user.username


FIELDS: dict[str, dict[str, Callable[[Any], str]]] = {
    "contact": {
        "first_name": lambda person: person.first_name,
        "last_name": lambda person: person.last_name,
        "full_name": lambda person: person.full_name,
        "email": lambda person: person.email,
        "title": lambda person: person.title,
        "phone": lambda person: person.phone,
    },
    "company": {
        "name": lambda company: company.name,
        "website": lambda company: company.website,
        "phone": lambda company: company.phone,
    },
    "deal": {
        "name": lambda deal: deal.name,
        "value": lambda deal: _text(deal.value),
        "currency": lambda deal: deal.currency,
        "stage": lambda deal: deal.stage.name,
        "pipeline": lambda deal: deal.pipeline.name,
        "expected_close_date": lambda deal: _text(deal.expected_close_date),
        "lost_reason": lambda deal: deal.lost_reason,
    },
    "lead": {
        "first_name": lambda lead: lead.first_name,
        "last_name": lambda lead: lead.last_name,
        "company_name": lambda lead: lead.company_name,
        "email": lambda lead: lead.email,
    },
    "activity": {
        "subject": lambda activity: activity.subject,
        "due": lambda activity: _text(
            activity.due_at and timezone.localtime(activity.due_at).strftime("%Y-%m-%d %H:%M")
        ),
    },
    # The sender (templates) or the record's owner (rules).
    "user": {
        "first_name": lambda user: user.first_name,
        "last_name": lambda user: user.last_name,
        "full_name": _user_name,
        "email": lambda user: user.email,
        "signature": lambda user: user.email_signature,
    },
}


class MergeError(Exception):
    """The text cannot be merged; `message` says why, for whoever wrote or sends it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def available_fields() -> list[str]:
    return [f"{{{{ {name}.{field} }}}}" for name, fields in FIELDS.items() for field in fields]


def _check_field(name: str, field: str) -> None:
    if name not in FIELDS or field not in FIELDS[name]:
        raise MergeError(
            _("Unknown merge field {{ %(name)s.%(field)s }}. Available: %(available)s.")
            % {"name": name, "field": field, "available": ", ".join(available_fields())}
        )


def check_template(text: str) -> None:
    """Refuse anything but known {{ object.field }} merge fields (MergeError)."""
    for match in SYNTAX.finditer(text or ""):
        field = FIELD.fullmatch(match.group(0))
        if field is None:
            raise MergeError(
                _(
                    "“%(syntax)s” is not a merge field: write fields as {{ contact.first_name }}, "
                    "nothing else."
                )
                % {"syntax": match.group(0)[:60]}
            )
        _check_field(*field.groups())


def merge(text: str, context: dict[str, Any], *, html: bool = False, strict: bool = True) -> str:
    """`text` with its merge fields filled from `context` (object name → record or None).

    `strict`: a field of an object the record does not have (no company, a hidden one) is an
    error; otherwise it merges as nothing (automation rules, whose records vary)."""
    check_template(text)

    def fill(match: re.Match) -> str:
        name, field = match.groups()
        record = context.get(name)
        if record is None:
            if strict:
                raise MergeError(
                    _("{{ %(name)s.%(field)s }} needs a %(name)s, and there is none you can see here.")
                    % {"name": name, "field": field}
                )
            return ""
        value = _text(FIELDS[name][field](record))
        return escape(value) if html else value

    if not html:
        return FIELD.sub(fill, text or "")
    # Escape the template's own text first, then put the (escaped) values in.
    parts, position = [], 0
    for match in FIELD.finditer(text or ""):
        parts.append(escape(text[position : match.start()]))
        parts.append(fill(match))
        position = match.end()
    parts.append(escape((text or "")[position:]))
    # Every piece was escaped above: the result is safe to put in a page or an HTML mail.
    return mark_safe(linebreaks("".join(parts), autoescape=False))  # noqa: S308


def _visible(record, user):
    if record is None:
        return None
    return record if type(record).objects.visible_to(user).filter(pk=record.pk).exists() else None


def merge_context(*, user, person=None, deal=None) -> dict[str, Any]:
    """The records a template sent by `user` about `person` or `deal` may print: only those
    `user` may see."""
    if deal is not None and person is None and deal.primary_contact_id is not None:
        person = deal.primary_contact
    person = _visible(person, user)
    company = None
    if deal is not None and deal.company_id is not None:
        company = deal.company
    elif person is not None and person.company_id is not None:
        company = person.company
    return {"contact": person, "company": _visible(company, user), "deal": deal, "user": user}


@dataclass(frozen=True)
class RenderedMail:
    template: EmailTemplate
    contact: Any
    recipient: str
    subject: str
    body_text: str
    body_html: str


def render_for(*, template: EmailTemplate, user, person=None, deal=None) -> RenderedMail:
    """The mail `template` makes for `person` (or the deal's contact), or MergeError."""
    context = merge_context(user=user, person=person, deal=deal)
    contact = context["contact"]
    if contact is None or not contact.email:
        raise MergeError(
            _("This deal has no contact with an e-mail address.")
            if person is None
            else _("This person has no e-mail address.")
        )
    subject = merge(template.subject, context).replace("\n", " ").strip()
    return RenderedMail(
        template=template,
        contact=contact,
        recipient=contact.email,
        subject=subject,
        body_text=merge(template.body, context),
        body_html=merge(template.body, context, html=True),
    )


def _email_type() -> ActivityType | None:
    return (
        ActivityType.objects.filter(name="E-mail").first()
        or ActivityType.objects.order_by("position").first()
    )


@transaction.atomic
def template_send(
    *, actor, template: EmailTemplate, person=None, deal=None, send_key: str
) -> Activity | None:
    """Queue the mail of `template` to the person (or the deal's contact) and log it as a done
    e-mail on their timeline. `send_key` comes with the preview: a repeated POST of one preview (a
    double click, a retry) queues and logs nothing more (None)."""
    if not actor.has_perm("activities.add_activity"):
        raise PermissionDenied
    for record in (person, deal):
        if record is not None and not type(record).objects.visible_to(actor).filter(pk=record.pk).exists():
            raise ValidationError(_("You cannot see that record."))
    dedupe_key = f"template-send:{send_key}"
    # Two POSTs of one preview at once: the second waits here, then finds the first one's mail.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [dedupe_key])
    if OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    mail = render_for(template=template, user=actor, person=person, deal=deal)
    if not mail.contact.consent_email or mail.contact.unsubscribed_at is not None:
        raise ValidationError(
            _("%(name)s has not agreed to receive e-mail (or unsubscribed): nothing was sent.")
            % {"name": mail.contact}
        )
    email_queue(
        recipients=[mail.recipient],
        subject=mail.subject,
        body_text=mail.body_text,
        body_html=mail.body_html,
        dedupe_key=dedupe_key,
    )
    now = timezone.now()
    return services.activity_create(
        actor=actor,
        values={
            "kind": Activity.Kind.TODO,
            "activity_type": _email_type(),
            "subject": mail.subject[:200],
            "notes": mail.body_text,
            "status": Activity.Status.DONE,
            "due_at": now,
            "done_at": now,
            "outcome": _("Template “%(name)s” sent to %(address)s.")
            % {"name": template.name, "address": mail.recipient},
            "owner": actor,
            "person": mail.contact,
            "deal": deal,
        },
    )
