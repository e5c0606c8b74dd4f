"""E-mail campaigns (issue 14, item 3): a mail composed from an e-mail template or written here,
sent to the people of a segment, one Recipient row per person, with what each did with it.

A Recipient row is the unit of sending: it is created once per person (unique per mailing) when
the sending starts, claimed by one worker at a time, and carries the mail's Message-ID from the
moment it exists, so a mail repeated after a worker died mid-send is the same message to the
receiving servers. Opens, clicks, unsubscribes and bounces are noted on the row (the first of
each, for the stats) and as MailEvent rows (the first of each kind, and of each link).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import EmailTemplate
from contacts.models import Person
from crm.models import OwnedModel, new_message_id
from marketing.models import AboutAPersonQuerySet, Campaign, Segment


class EmailCampaign(OwnedModel):
    """One e-mail sent to a segment on behalf of a marketing campaign."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="email_campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.PROTECT, related_name="email_campaigns"
    )
    template = models.ForeignKey(
        EmailTemplate,
        verbose_name=_("e-mail template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Its subject and text are copied into the fields below when they are empty."),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "Merge fields such as {{ contact.first_name }} and {{ company.name }}; every http(s) "
            "link is tracked. The footer with the unsubscribe link is added to every mail."
        ),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # Who asked for the sending: the segment is read as they see it, and merge fields name them.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    # The links of the mail, fixed when the sending starts: a tracked click names one by index.
    links = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("e-mail campaign")
        verbose_name_plural = _("e-mail campaigns")
        indexes = [models.Index(fields=["status", "scheduled_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("mailings:mailing_detail", kwargs={"pk": self.pk})


class Recipient(models.Model):
    """One person an e-mail campaign goes to, and what became of the mail."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        # Claimed by a worker; a row left here by a worker that died may have gone out (the
        # repeat carries the same Message-ID).
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    email_campaign = models.ForeignKey(EmailCampaign, on_delete=models.CASCADE, related_name="recipients")
    # Deleting a person (GDPR erasure) deletes their rows: the address must not outlive them.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="email_campaign_recipients"
    )
    email = models.EmailField()
    message_id = models.CharField(max_length=255, unique=True, default=new_message_id, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The worker's claim: an advisory lock on (namespace, claim) is held while it sends.
    claim = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    objects = AboutAPersonQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("e-mail recipient")
        verbose_name_plural = _("e-mail recipients")
        constraints = [
            models.UniqueConstraint(fields=["email_campaign", "person"], name="one_recipient_per_person")
        ]
        indexes = [
            models.Index(fields=["email_campaign", "status"]),
            models.Index(fields=["person", "-id"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return self.email


class MailEventQuerySet(AboutAPersonQuerySet):
    person_path = "recipient__person"


class MailEvent(models.Model):
    """What a recipient did: the first open, the first click of each link, the unsubscribe, the
    bounce (once each: repeats change nothing)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    link = models.SmallIntegerField(default=-1)  # the index of the clicked link, -1 for others
    url = models.CharField(max_length=2000, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    objects = MailEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("e-mail event")
        verbose_name_plural = _("e-mail events")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "link"], name="one_mail_event_per_kind")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
