"""Customer service's core (seed 004 "Customer Service"; DESIGN.md "Support"): queues of agents,
SLA policies with their targets per priority, business hours and holidays, contracts and
warranties that give a company its policy, and tickets with their public replies and internal
notes.

A ticket is an owned record: its owner is the assigned agent and its team the queue's team, so
who sees and works it follows crm.access as every other record does. Its SLA due times are
stored on it (support.sla computes them) so that queue views sort and filter by them and the
breach scan reads one index. The knowledge base (support.knowledge) and the customer portal
(support.portal) build on these.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.models import Company, Person
from crm.models import OwnedModel, Team
from crm.search import SearchableModel
from opportunities.models import Deal
from opportunities.sales.models import Product


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Escalation bumps a ticket one step up this ladder.
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class Queue(models.Model):
    """Where tickets wait for an agent: a team's inbox, with how new tickets are assigned."""

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("Manually")
        ROUND_ROBIN = "round_robin", _("Round-robin within the team")
        LEAST_LOADED = "least_loaded", _("To the team member with the fewest open tickets")

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.CharField(
        _("assign new tickets"), max_length=20, choices=Assignment.choices, default=Assignment.MANUAL
    )
    email_address = models.EmailField(
        _("inbound address"),
        blank=True,
        help_text=_("Mail sent to this address becomes a ticket in this queue."),
    )
    is_default = models.BooleanField(_("default queue"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Round-robin: the member who got the last ticket (the next goes to the one after).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        permissions = [("manage_support", _("Can set up customer service (queues, SLA policies, contracts)"))]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_queue"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """How fast tickets under it are answered and resolved, in business hours when it has them."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(
        _("default policy"),
        default=False,
        help_text=_("For tickets of companies without an active contract."),
    )
    uses_business_hours = models.BooleanField(
        _("count business hours only"),
        default=False,
        help_text=_("Otherwise the clock runs around the clock."),
    )
    # ISO weekdays, 1 = Monday … 7 = Sunday.
    working_days = models.JSONField(_("working days"), default=list, blank=True)
    day_starts = models.TimeField(_("day starts"), null=True, blank=True)
    day_ends = models.TimeField(_("day ends"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_sla_policy"
            ),
            models.CheckConstraint(
                condition=models.Q(uses_business_hours=False)
                | models.Q(
                    day_starts__isnull=False, day_ends__isnull=False, day_ends__gt=models.F("day_starts")
                ),
                name="sla_business_day_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """A policy's targets for one priority, in minutes (of business hours when the policy has them)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(525_600)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(5_256_000)]
    )

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="one_sla_target_per_priority")
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.get_priority_display()}"


class Holiday(models.Model):
    """A day a policy's business hours do not run."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["policy", "date"], name="one_holiday_per_policy_and_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Contract(OwnedModel):
    """A service contract or warranty of a company (seed 004 "SLA/warranty management"): while
    active it gives the company's tickets its SLA policy."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Service contract")
        WARRANTY = "warranty", _("Warranty")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CONTRACT)
    name = models.CharField(_("name"), max_length=200)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT, related_name="contracts"
    )
    remind_days = models.PositiveSmallIntegerField(
        _("remind the owner (days before the end)"), default=30, validators=[MaxValueValidator(365)]
    )
    # When the owner's to-do about the coming end was made (once per contract end).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "version"])

    class Meta:
        ordering = ["ends_on", "pk"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=["company", "ends_on"]), models.Index(fields=["ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="contract_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("support_setup:contract_detail", args=[self.pk])


def new_reply_key() -> str:
    return secrets.token_urlsafe(9)  # 12 characters; with the ticket number in subjects and headers


class Ticket(OwnedModel, SearchableModel):
    """A customer's request. Owner = the assigned agent, team = the queue's team (crm.access)."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.WAITING]

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        PORTAL = "portal", _("Portal")
        WEB_FORM = "web_form", _("Web form")
        OTHER = "other", _("Other")

    subject = models.CharField(_("subject"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Person, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who wrote in when they are no contact of ours yet (an e-mail from an unknown address).
    requester_email = models.EmailField(_("requester's e-mail"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.OTHER)
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), blank=True, related_name="watched_tickets"
    )
    reply_key = models.CharField(max_length=20, unique=True, default=new_reply_key, editable=False)

    # SLA (support.sla): the policy taken when the ticket was made, and the clock.
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # "Waiting on customer" stops the resolution clock; the due time moves on by the pause.
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_minutes = models.PositiveIntegerField(default=0, editable=False)  # policy minutes paused so far
    # Each breach is escalated once (support.tasks): when it was.
    first_response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_customer_message_at = models.DateTimeField(null=True, blank=True, editable=False)

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(
        excluded_fields=["search_text", "search_vector", "updated_at", "version", "last_customer_message_at"]
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue views: open tickets by due time, per queue and per agent.
            models.Index(
                fields=["queue", "resolution_due_at", "id"],
                condition=models.Q(status__in=["new", "open", "waiting"]),
                name="open_ticket_by_queue_due",
            ),
            models.Index(
                fields=["owner", "resolution_due_at", "id"],
                condition=models.Q(status__in=["new", "open", "waiting"]),
                name="open_ticket_by_agent_due",
            ),
            models.Index(fields=["company", "-created_at"], name="ticket_by_company"),
            models.Index(fields=["contact", "-created_at"], name="ticket_by_contact"),
            models.Index(fields=["-created_at", "-id"], name="ticket_newest_first"),
            # Every open ticket by due time: "all open", "breaching soon", priority filters.
            models.Index(
                fields=["resolution_due_at", "id"],
                condition=models.Q(status__in=["new", "open", "waiting"]),
                name="open_ticket_by_due",
            ),
            GinIndex(fields=["search_vector"], name="ticket_search_gin"),
            # The breach scan: open tickets not yet escalated, by due time.
            models.Index(
                fields=["first_response_due_at"],
                condition=models.Q(
                    status__in=["new", "open"],
                    first_responded_at__isnull=True,
                    first_response_breached_at__isnull=True,
                ),
                name="ticket_first_response_watch",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=models.Q(status__in=["new", "open"], resolution_breached_at__isnull=True),
                name="ticket_resolution_watch",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def search_words(self) -> list[str]:
        return [str(self.pk or ""), self.subject, self.requester_email]

    def get_absolute_url(self) -> str:
        return reverse("support:ticket_detail", args=[self.pk])


class TicketMessageQuerySet(models.QuerySet):
    def visible_to(self, user) -> TicketMessageQuerySet:
        """Messages of the tickets `user` sees (crm.access, through the ticket)."""
        from crm import access

        return access.visible_to(self, user, prefix="ticket__")

    def public(self) -> TicketMessageQuerySet:
        """What the customer sees: replies and their own messages, never internal notes."""
        return self.exclude(kind=TicketMessage.Kind.NOTE)


class TicketMessage(models.Model):
    """One entry of a ticket's conversation: the customer's message, an agent's public reply
    (e-mailed to the contact) or an internal note (staff only; @mentions notify)."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer message")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_person = models.ForeignKey(
        Person, verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_email = models.EmailField(_("from"), blank=True)
    # Plain text as typed or received; HTML of received mail is kept only sanitised (nh3).
    body = models.TextField(_("message"))
    body_html = models.TextField(blank=True, editable=False)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Ticket.Channel.choices, default=Ticket.Channel.OTHER
    )
    # The Message-ID of the mail it came in as or went out as (threading, loops, repeats).
    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    objects = TicketMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="ticket_message_in_order")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"
