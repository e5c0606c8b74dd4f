"""E-mail campaigns: composing, test-sending, scheduling, sending in batches, and the events of
the public links (open, click, unsubscribe) and of bounces.

Sending, and why each recipient gets the mail once:
- `mailing_start` fixes the mail (subject, text, links, sender) and writes one Recipient row per
  reachable person of the segment (unique per campaign), in one transaction with the status
  change; then a Celery task (`mailings.tasks.mailing_send`) sends it in batches.
- `send_batch` claims up to `batch_size` waiting rows with SELECT … FOR UPDATE SKIP LOCKED, marks
  them "sending" with its claim number and commits that before any mail leaves, holding a
  session-level advisory lock on the claim (it goes with the connection when a worker dies).
  Each mail is then handed to the e-mail backend and its row marked "sent" at once.
- A worker that dies mid-batch leaves rows "sending" whose claim lock is free:
  `recover_abandoned` puts them back to "waiting" (run before every batch and by beat). Such a
  row may have gone out just before the death; its repeat carries the same Message-ID, which
  receiving servers drop as the same message (as crm.outbox does for single mails).
- Batches are throttled: the task sends one batch and schedules the next after
  MAILINGS_BATCH_PAUSE_SECONDS; beat (`mailings_dispatch`) starts scheduled campaigns and hands
  the broker again a campaign whose task was lost.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from activities import templates_mail
from contacts import services as contact_services
from contacts.models import Person
from crm.email import email_queue
from crm.models import User
from crm.outbox import AdvisoryLock
from crm.services import audit_record, record_create, record_update
from marketing import attribution, scoring, segments, visitors
from marketing.mailings import tracking
from marketing.mailings.models import EmailCampaign, MailEvent, Recipient
from marketing.models import MarketingSettings, ScoreKind

logger = logging.getLogger(__name__)

Status = EmailCampaign.Status
CLAIM_LOCK_NAMESPACE = 1401  # crm.outbox uses 1001–1099
MARK_EVERY = 20  # mails sent between two notes of "sent"
PERMISSION = "marketing.manage_marketing"
_PLACEHOLDER = "\ue000%d\ue001"


def stalled_after() -> timedelta:
    """No mail of a sending campaign for this long: its chain of batches was lost (settings, or
    the environment of a worker: CRM_MAILINGS_STALLED_AFTER_SECONDS)."""
    return timedelta(seconds=float(_setting("STALLED_AFTER_SECONDS", "60")))


def _setting(name: str, default: str) -> str:
    """MAILINGS_<name> from settings, else CRM_MAILINGS_<name> from the environment."""
    value = getattr(settings, f"MAILINGS_{name}", None)
    return str(value) if value is not None else os.environ.get(f"CRM_MAILINGS_{name}", default)


def batch_size() -> int:
    """Mails per batch: with the pause between batches, the throttle (200 per second by default)."""
    return max(1, int(_setting("BATCH_SIZE", "200")))


def batch_pause_seconds() -> float:
    return max(0.0, float(_setting("BATCH_PAUSE_SECONDS", "1.0")))


class MailingError(ValidationError):
    """The campaign cannot do that now; the message says why."""


def _check(actor: User) -> None:
    if not actor.has_perm(PERMISSION):
        raise PermissionDenied


def _content(values: dict[str, Any]) -> dict[str, Any]:
    template = values.get("template")
    if template is not None:
        values["subject"] = values.get("subject") or template.subject
        values["body"] = values.get("body") or template.body
    errors = {}
    for name in ("subject", "body"):
        if not values.get(name):
            errors[name] = _("Write it here or choose an e-mail template that has it.")
            continue
        try:
            templates_mail.check_template(values[name])
        except templates_mail.MergeError as error:
            errors[name] = error.message
    if errors:
        raise ValidationError(errors)
    return values


def mailing_create(*, actor: User, values: dict[str, Any]) -> EmailCampaign:
    """A draft e-mail campaign (subject and text from its template when left empty)."""
    _check(actor)
    return record_create(actor=actor, instance=EmailCampaign(**_content(dict(values)), owner=actor))


def mailing_update(
    *, actor: User, mailing: EmailCampaign, values: dict[str, Any], expected_version: int
) -> EmailCampaign:
    """Change a draft (or a scheduled campaign not yet started)."""
    _check(actor)
    if mailing.status not in (Status.DRAFT, Status.SCHEDULED):
        raise MailingError(_("This campaign has been sent: it cannot be changed."))
    return record_update(
        actor=actor, instance=mailing, changes=_content(dict(values)), expected_version=expected_version
    )


def audience(mailing: EmailCampaign, user: User | None) -> dict[str, int]:
    """Who the campaign would reach now, as `user` sees the segment: members, reachable, excluded
    (no address, no marketing consent, or unsubscribed)."""
    return segments.counts(mailing.segment, user)


# Rendering


@dataclass(frozen=True)
class Sender:
    from_email: str
    company_name: str
    company_address: str
    user: User | None


def sender() -> Sender:
    """Seed 002's mail settings: the default sender (address, else the sending user's) and the
    company profile of the footer."""
    config = MarketingSettings.load()
    user = config.default_sending_user
    address = config.default_sender or (user.email if user else "") or settings.DEFAULT_FROM_EMAIL
    name = config.company_name or (user.get_full_name() if user else "")
    if name and "<" not in address:
        address = formataddr((name, address))
    return Sender(address, config.company_name, config.company_address, user)


def _with_placeholders(text: str, links: list[str]) -> str:
    # Longest first, so that a link that begins another one does not cut it.
    for index, link in sorted(enumerate(links), key=lambda item: -len(item[1])):
        text = text.replace(link, _PLACEHOLDER % index)
    return text


def _footer(mailing_sender: Sender, unsubscribe: str) -> tuple[str, str]:
    lines = [
        line for line in [mailing_sender.company_name, *mailing_sender.company_address.splitlines()] if line
    ]
    text = "\n".join(lines)
    leave = _("Unsubscribe from these mails: %(url)s") % {"url": unsubscribe}
    html_lines = "<br>".join(escape(line) for line in lines)
    html = (
        f'<hr><p style="font-size:12px;color:#666">{html_lines}<br>'
        f'<a href="{escape(unsubscribe)}">{escape(_("Unsubscribe from these mails"))}</a></p>'
    )
    return f"\n\n-- \n{text}\n{leave}\n", html


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(
    mailing: EmailCampaign,
    *,
    person,
    recipient_id: int | None,
    mailing_sender: Sender,
    sending_user: User | None,
) -> Rendered:
    """The mail of `mailing` for `person`: merge fields filled, links tracked, the open pixel and
    the footer with the unsubscribe link (a test mail, without recipient: plain links)."""
    links = mailing.links or tracking.links_of(mailing.body)
    context = {
        "contact": person,
        "company": getattr(person, "company", None) if person else None,
        "user": sending_user,
    }
    subject = templates_mail.merge(mailing.subject, context, strict=False).replace("\n", " ").strip()
    body = _with_placeholders(mailing.body, links)
    text = templates_mail.merge(body, context, strict=False)
    html = str(templates_mail.merge(body, context, html=True, strict=False))
    for index, link in enumerate(links):
        target = tracking.click_url(recipient_id, index) if recipient_id is not None else link
        text = text.replace(_PLACEHOLDER % index, target)
        html = html.replace(_PLACEHOLDER % index, f'<a href="{escape(target)}">{escape(link)}</a>')
    if recipient_id is not None:
        unsubscribe = tracking.unsubscribe_url(recipient_id)
        pixel = f'<img src="{escape(tracking.open_url(recipient_id))}" width="1" height="1" alt="">'
    else:
        unsubscribe = _("(the unsubscribe link of each recipient)")
        pixel = ""
    footer_text, footer_html = _footer(mailing_sender, unsubscribe)
    return Rendered(subject=subject[:255], text=text + footer_text, html=html + footer_html + pixel)


def message_for(
    mailing: EmailCampaign, recipient: Recipient, *, mailing_sender: Sender, sending_user, connection=None
) -> EmailMultiAlternatives:
    """The message of one recipient, with RFC 8058 one-click unsubscribe headers."""
    rendered = render(
        mailing,
        person=recipient.person,
        recipient_id=recipient.pk,
        mailing_sender=mailing_sender,
        sending_user=sending_user,
    )
    unsubscribe = tracking.unsubscribe_url(recipient.pk)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=mailing.from_email or mailing_sender.from_email,
        to=[recipient.email],
        headers={
            "Message-ID": recipient.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def mailing_test_send(*, actor: User, mailing: EmailCampaign) -> None:
    """Send the mail to the actor's own address, as the first reachable member would get it
    (their merge fields), without tracking."""
    _check(actor)
    if not actor.email:
        raise MailingError(_("Your user has no e-mail address to send the test to."))
    example = segments.reachable(segments.members(mailing.segment, actor)).select_related("company").first()
    mailing_sender = sender()
    rendered = render(
        mailing, person=example, recipient_id=None, mailing_sender=mailing_sender, sending_user=actor
    )
    email_queue(
        recipients=[actor.email],
        subject=_("[Test] %(subject)s") % {"subject": rendered.subject},
        body_text=rendered.text,
        body_html=rendered.html,
    )


# Starting and scheduling


@transaction.atomic
def mailing_send(*, actor: User, mailing: EmailCampaign, at: datetime | None = None) -> EmailCampaign:
    """Send now, or at `at` (a time in the future): the campaign leaves the drafts."""
    _check(actor)
    mailing = EmailCampaign.objects.select_for_update().get(pk=mailing.pk)
    if mailing.status not in (Status.DRAFT, Status.SCHEDULED):
        raise MailingError(_("This campaign is already being sent or was sent."))
    if not segments.reachable(segments.members(mailing.segment, actor)).exists():
        raise MailingError(_("Nobody in this segment can receive it (address, consent, unsubscribed)."))
    mailing.sent_by = actor
    if at is not None and at > timezone.now():
        mailing.status, mailing.scheduled_at = Status.SCHEDULED, at
        mailing.save(update_fields=["status", "scheduled_at", "sent_by", "updated_at"])
        audit_record(actor=actor, verb="schedule", instance=mailing, changes={"scheduled_at": at})
        return mailing
    mailing.save(update_fields=["sent_by", "updated_at"])
    audit_record(actor=actor, verb="send", instance=mailing)
    return mailing_start(mailing_id=mailing.pk)


@transaction.atomic
def mailing_start(*, mailing_id: int) -> EmailCampaign:
    """Fix the mail and its recipients and start sending (once: a second call finds it started)."""
    mailing = (
        EmailCampaign.objects.select_for_update(of=("self",))
        .select_related("segment", "sent_by")
        .get(pk=mailing_id)
    )
    if mailing.status not in (Status.DRAFT, Status.SCHEDULED):
        return mailing
    mailing_sender = sender()
    mailing.links = tracking.links_of(mailing.body)
    mailing.from_email = mailing_sender.from_email
    mailing.status = Status.SENDING
    mailing.started_at = timezone.now()
    mailing.save(update_fields=["links", "from_email", "status", "started_at", "updated_at"])
    people = segments.reachable(segments.members(mailing.segment, mailing.sent_by))
    rows = people.values_list("pk", "email").order_by("pk").iterator(chunk_size=5000)
    chunk: list[Recipient] = []
    for person_id, address in rows:
        chunk.append(Recipient(email_campaign=mailing, person_id=person_id, email=address))
        if len(chunk) == 5000:
            Recipient.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Recipient.objects.bulk_create(chunk, ignore_conflicts=True)
    transaction.on_commit(lambda: publish_send(mailing.pk))
    return mailing


def publish_send(mailing_id: int, countdown: float = 0) -> None:
    """Hand the sending to the broker (a broker fault is logged: beat hands it over again)."""
    from marketing.mailings.tasks import mailing_send as task

    try:
        task.apply_async(args=[mailing_id], countdown=countdown, retry=False)
    except Exception:  # the broker is down: mailings_dispatch (beat) publishes it again
        logger.warning("could not hand e-mail campaign %s to the broker", mailing_id, exc_info=True)


# Sending


def recover_abandoned(mailing_id: int | None = None) -> int:
    """Put back to "waiting" the rows of workers that died mid-send (their claim lock is free)."""
    rows = Recipient.objects.filter(status=Recipient.Status.SENDING)
    if mailing_id is not None:
        rows = rows.filter(email_campaign_id=mailing_id)
    claims = set(rows.values_list("claim", flat=True).distinct())
    recovered = 0
    for claim in claims:
        with AdvisoryLock(CLAIM_LOCK_NAMESPACE, claim or 0) as free:
            if free:  # nobody holds it: its worker is gone
                recovered += Recipient.objects.filter(status=Recipient.Status.SENDING, claim=claim).update(
                    status=Recipient.Status.PENDING, claim=None
                )
    return recovered


def _claim(mailing_id: int, claim: int, size: int) -> list[int]:
    with transaction.atomic():
        ids = list(
            Recipient.objects.select_for_update(skip_locked=True)
            .filter(email_campaign_id=mailing_id, status=Recipient.Status.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            Recipient.objects.filter(pk__in=ids).update(
                status=Recipient.Status.SENDING, claim=claim, attempts=F("attempts") + 1
            )
    return ids


def send_batch(*, mailing_id: int, size: int | None = None, connection_=None) -> int:
    """Send one batch of the campaign's waiting mails; how many were handed to the backend
    (0 when there is nothing left, and the campaign is then marked sent)."""
    mailing = EmailCampaign.objects.select_related("sent_by").get(pk=mailing_id)
    if mailing.status != Status.SENDING:
        return 0
    recover_abandoned(mailing_id)
    claim = random.randint(1, 2**31 - 1)
    with AdvisoryLock(CLAIM_LOCK_NAMESPACE, claim) as held:
        if not held:
            return 0  # an unlikely collision of claim numbers: the next run takes another
        ids = _claim(mailing_id, claim, size or batch_size())
        if not ids:
            _finish_if_done(mailing_id)
            return 0
        mailing_sender = sender()
        backend = connection_ or get_connection(fail_silently=False)
        recipients = Recipient.objects.filter(pk__in=ids).select_related("person__company").order_by("pk")
        sent: list[int] = []
        backend.open()
        # "Sent" is noted every MARK_EVERY mails, committed without waiting for the disk: a worker
        # that dies repeats at most those (with the same Message-ID, as their rows are claimed
        # again); a database crash, the last ones noted. A durable commit per mail costs ~10 ms.
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        try:
            for recipient in recipients:
                message = message_for(
                    mailing,
                    recipient,
                    mailing_sender=mailing_sender,
                    sending_user=mailing.sent_by,
                    connection=backend,
                )
                try:
                    message.send()
                except Exception as error:  # the backend refused this one: noted, the rest go on
                    Recipient.objects.filter(pk=recipient.pk).update(
                        status=Recipient.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
                    )
                    continue
                sent.append(recipient.pk)
                if len(sent) % MARK_EVERY == 0:
                    _mark_sent(sent[-MARK_EVERY:])
            _mark_sent(sent[len(sent) - len(sent) % MARK_EVERY :])
        finally:
            backend.close()
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
    return len(sent)


def _mark_sent(ids: list[int]) -> None:
    if ids:
        Recipient.objects.filter(pk__in=ids, status=Recipient.Status.SENDING).update(
            status=Recipient.Status.SENT, sent_at=timezone.now(), error=""
        )


def _finish_if_done(mailing_id: int) -> None:
    open_rows = Recipient.objects.filter(
        email_campaign_id=mailing_id, status__in=[Recipient.Status.PENDING, Recipient.Status.SENDING]
    )
    if not open_rows.exists():
        EmailCampaign.objects.filter(pk=mailing_id, status=Status.SENDING).update(
            status=Status.SENT, finished_at=timezone.now()
        )


def dispatch() -> int:
    """Beat: start the scheduled campaigns that are due, and hand the broker again each campaign
    still sending (a lost task; a live one just finds fewer rows). How many were handed over."""
    handed = 0
    due = EmailCampaign.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=timezone.now())
    for mailing_id in due.values_list("pk", flat=True):
        mailing_start(mailing_id=mailing_id)  # publishes on commit
        handed += 1
    quiet_since = timezone.now() - stalled_after()
    for mailing_id, started_at in EmailCampaign.objects.filter(status=Status.SENDING).values_list(
        "pk", "started_at"
    ):
        recover_abandoned(mailing_id)
        rows = Recipient.objects.filter(email_campaign_id=mailing_id)
        last_sent = rows.aggregate(last=Max("sent_at"))["last"] or started_at
        # A campaign still progressing has its chain of batches: only a quiet one is handed over.
        if last_sent is None or last_sent < quiet_since:
            if rows.filter(status__in=[Recipient.Status.PENDING, Recipient.Status.SENDING]).exists():
                publish_send(mailing_id)
                handed += 1
            else:
                _finish_if_done(mailing_id)
    return handed


# Events of the public links


def _recipient(pk: int) -> Recipient | None:
    return Recipient.objects.select_related("email_campaign__campaign", "person").filter(pk=pk).first()


def _may_track(recipient: Recipient) -> bool:
    """Whether opens and clicks of this recipient are recorded: not once they unsubscribed (from
    this mail or anywhere) or withdrew their e-mail consent. Their links still work."""
    person = recipient.person
    if recipient.unsubscribed_at is not None:
        return False
    return person is None or (person.unsubscribed_at is None and person.consent_email)


@transaction.atomic
def record_open(*, recipient_id: int) -> bool:
    """The open pixel was loaded: the first open counts (and scores, seed 002: 0 points)."""
    recipient = _recipient(recipient_id)
    if recipient is None or not _may_track(recipient):
        return False
    first = Recipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    if not first:
        return False
    MailEvent.objects.create(recipient=recipient, kind=MailEvent.Kind.OPENED)
    if recipient.person is not None:
        scoring.record_event(
            kind=ScoreKind.EMAIL_OPENED,
            person=recipient.person,
            campaign=recipient.email_campaign.campaign,
            detail=recipient.email_campaign.name,
        )
    return True


@transaction.atomic
def record_click(*, recipient_id: int, link: int) -> str | None:
    """A tracked link was followed: its destination (with the visitor token), or None when the
    link is not one of the mail's. The first click of each link scores and attributes the person
    to the campaign; a click also counts as an open (images may be blocked). Nothing is recorded
    for a recipient who unsubscribed or withdrew consent (`_may_track`)."""
    recipient = _recipient(recipient_id)
    if recipient is None:
        return None
    links = recipient.email_campaign.links or []
    if not 0 <= link < len(links):
        return None
    destination = links[link]
    if not _may_track(recipient):
        return destination
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(opened_at=now)
    Recipient.objects.filter(pk=recipient.pk, clicked_at__isnull=True).update(clicked_at=now)
    _event, created = MailEvent.objects.get_or_create(
        recipient=recipient, kind=MailEvent.Kind.CLICKED, link=link, defaults={"url": destination[:2000]}
    )
    person = recipient.person
    if created and person is not None:
        campaign = recipient.email_campaign.campaign
        scoring.record_event(
            kind=ScoreKind.LINK_CLICKED, person=person, campaign=campaign, detail=destination
        )
        attribution.attribute(person, campaign, converting=True)
    if person is None:
        return destination
    return with_visitor(destination, visitors.visitor_token(person_id=person.pk))


def with_visitor(url: str, token: str) -> str:
    """`url` with the visitor token in its query (marketing.visitors.PARAMETER)."""
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key != visitors.PARAMETER
    ]
    query.append((visitors.PARAMETER, token))
    return urlunsplit(parts._replace(query=urlencode(query)))


@transaction.atomic
def record_unsubscribe(*, recipient_id: int) -> bool:
    """The recipient unsubscribed (one click or the confirm page): the person is unsubscribed
    through contacts, the event noted and scored once; a repeat changes nothing (False)."""
    recipient = _recipient(recipient_id)
    if recipient is None:
        return False
    first = Recipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    if not first:
        return False
    MailEvent.objects.create(recipient=recipient, kind=MailEvent.Kind.UNSUBSCRIBED)
    person = recipient.person
    if person is not None:
        contact_services.person_unsubscribe(
            person=person, source=_("E-mail campaign “%(name)s”") % {"name": recipient.email_campaign.name}
        )
        scoring.record_event(
            kind=ScoreKind.UNSUBSCRIBED,
            person=person,
            campaign=recipient.email_campaign.campaign,
            detail=recipient.email_campaign.name,
        )
    return True


@transaction.atomic
def mark_bounced(*, recipients) -> int:
    """Mark sent mails bounced (the bounce addresses a mail server reported); how many were new."""
    now = timezone.now()
    ids = list(
        Recipient.objects.filter(pk__in=[r.pk for r in recipients], bounced_at__isnull=True)
        .exclude(sent_at__isnull=True)
        .values_list("pk", flat=True)
    )
    Recipient.objects.filter(pk__in=ids).update(bounced_at=now)
    MailEvent.objects.bulk_create(
        [MailEvent(recipient_id=pk, kind=MailEvent.Kind.BOUNCED, occurred_at=now) for pk in ids],
        ignore_conflicts=True,
    )
    return len(ids)


def bounce_addresses(*, addresses: list[str], mailing_id: int | None = None) -> int:
    """Mark bounced the latest sent mail to each address (of one campaign when given)."""
    wanted = {parseaddr(address)[1].strip().lower() for address in addresses} - {""}
    rows = Recipient.objects.filter(email__in=wanted, sent_at__isnull=False, bounced_at__isnull=True)
    if mailing_id is not None:
        rows = rows.filter(email_campaign_id=mailing_id)
    latest = {}
    for pk, address in rows.order_by("pk").values_list("pk", "email"):
        latest[address] = pk
    return mark_bounced(recipients=Recipient.objects.filter(pk__in=latest.values()))


# Stats


STAT_NAMES = ("recipients", "sent", "delivered", "failed", "opened", "clicked", "unsubscribed", "bounced")


def stats(mailing: EmailCampaign) -> dict[str, Any]:
    """Recipients, sent (handed to the mail server), delivered (sent, no error, no bounce), failed,
    opened, clicked, unsubscribed, bounced — and rates of the delivered — in one query."""
    sent = Q(status=Recipient.Status.SENT)
    counts = Recipient.objects.filter(email_campaign=mailing).aggregate(
        recipients=Count("pk"),
        sent=Count("pk", filter=sent),
        failed=Count("pk", filter=Q(status=Recipient.Status.FAILED)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    counts["delivered"] = counts["sent"] - counts["bounced"]
    base = counts["delivered"]
    rates = {
        name: (round(100.0 * counts[name] / base, 1) if base else None)
        for name in ("opened", "clicked", "unsubscribed")
    }
    rates["bounced"] = round(100.0 * counts["bounced"] / counts["sent"], 1) if counts["sent"] else None
    rates["delivered"] = round(100.0 * base / counts["recipients"], 1) if counts["recipients"] else None
    return {"counts": counts, "rates": rates}


def merge_people(*, survivor, duplicate) -> None:
    """A person merge (contacts.services.on_merge): where both records received the same
    e-mail campaign the survivor's recipient row stays (one per person and mailing) and the
    duplicate's goes with its events; the others move over with the person."""
    if not isinstance(survivor, Person):
        return
    Recipient.objects.filter(
        person=duplicate,
        email_campaign__in=Recipient.objects.filter(person=survivor).values("email_campaign"),
    ).delete()
