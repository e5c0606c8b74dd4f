"""Activities: to-dos (open, with a due time and a responsible user) and history (done).

Seed 003 (MiniCRM): a customer's datasheet is its history — to-dos still to do, and past events;
marking a to-do done moves it to history, and there should always be a next to-do: the record's
status answers "what is the next step?". Seed 002 (Upsales): activity types (Phone call, E-mail,
Other) and meetings with categories (First meeting, Meeting, Outlook), synced with calendars.

An activity is a to-do (it has an activity type) or a meeting (it has a meeting category), is
linked to the records it is about (a deal, a person, a company, a lead — the company is filled in
from the deal or person), and is visible to whoever may see the most specific record it is linked
to; an activity linked to nothing follows its owner (`ActivityQuerySet.visible_to`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import access
from crm.lookups import Lookup
from crm.models import OwnedModel, OwnedQuerySet


class ActivityType(Lookup):
    """What a to-do is: Phone call, E-mail, Other (seed 002), editable in admin."""

    class Meta(Lookup.Meta):
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")


class MeetingCategory(Lookup):
    """What a meeting is: First meeting, Meeting, Outlook (seed 002), editable in admin."""

    is_first_meeting = models.BooleanField(
        _("first meeting"),
        default=False,
        help_text=_("Shown on the sales board beside the deals while open."),
    )

    class Meta(Lookup.Meta):
        verbose_name = _("meeting category")
        verbose_name_plural = _("meeting categories")


# The records an activity can be about, most specific first: it is visible with the first one set.
LINKS = ("deal", "person", "lead", "company")


class ActivityQuerySet(OwnedQuerySet):
    def visible_to(self, user) -> ActivityQuerySet:
        """Activities of records `user` may see; one linked to nothing, by its own owner and team."""
        link_scopes = [access.visibility_scope(user, prefix=f"{link}__") for link in LINKS]
        own = access.visibility_scope(user)
        if own is None and all(scope is None for scope in link_scopes):
            # Every branch below unrestricted: their union is every activity, and the five-way OR
            # would only cost the ORM and the planner time on every list page.
            return self.all()
        scopes = []
        unlinked = Q()
        for index, (link, scope) in enumerate(zip(LINKS, link_scopes, strict=True)):
            before = Q(**{f"{other}__isnull": True for other in LINKS[:index]})
            this = before & Q(**{f"{link}__isnull": False})
            scopes.append(this if scope is None else this & scope)
            unlinked &= Q(**{f"{link}__isnull": True})
        scopes.append(unlinked if own is None else unlinked & own)
        combined = scopes[0]
        for scope in scopes[1:]:
            combined |= scope
        return self.filter(combined)

    def open(self) -> ActivityQuerySet:
        return self.filter(status=Activity.Status.OPEN)

    def history(self) -> ActivityQuerySet:
        return self.filter(status=Activity.Status.DONE)


class Activity(OwnedModel):
    """A to-do or a meeting; `owner` is the responsible user."""

    class Kind(models.TextChoices):
        TODO = "todo", _("to-do")
        MEETING = "meeting", _("meeting")

    class Status(models.TextChoices):
        OPEN = "open", _("to do")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TODO)
    activity_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    meeting_category = models.ForeignKey(
        MeetingCategory,
        verbose_name=_("meeting category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(
        _("due"), null=True, blank=True, help_text=_("When it is to be done or starts.")
    )
    all_day = models.BooleanField(_("all day"), default=False)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=30)
    location = models.CharField(_("location"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    company = models.ForeignKey(
        "contacts.Company", verbose_name=_("company"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    person = models.ForeignKey(
        "contacts.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    deal = models.ForeignKey(
        "opportunities.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    attendee_people = models.ManyToManyField(
        "contacts.Person", verbose_name=_("attending contacts"), blank=True, related_name="+"
    )
    attendee_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attending colleagues"), blank=True, related_name="+"
    )
    # Calendars: a stable UID, and a sequence that grows when the time or place changes, so a
    # subscribed calendar or an invitee's client updates the event instead of adding another.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    send_invites = models.BooleanField(
        _("send to my calendar"),
        default=False,
        help_text=_("E-mail an invitation (.ics) to the responsible user and the attendees."),
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["owner", "status", "due_at"]),
            models.Index(fields=["company", "status", "due_at"]),
            models.Index(fields=["person", "status", "due_at"]),
            models.Index(fields=["deal", "status", "due_at"]),
            models.Index(fields=["lead", "status", "due_at"]),
            models.Index(fields=["status", "due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False) | ~Q(status="done"),
                name="activity_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("activities:activity_edit", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def ends_at(self):
        if self.due_at is None:
            return None
        return self.due_at + timezone.timedelta(minutes=self.duration_minutes)

    def linked_record(self):
        """The most specific record this activity is about, or None."""
        for link in LINKS:
            record = getattr(self, link)
            if record is not None:
                return record
        return None

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.MEETING and self.meeting_category_id is None:
            errors["meeting_category"] = _("Choose what kind of meeting it is.")
        if self.kind == self.Kind.MEETING and self.due_at is None:
            errors["due_at"] = _("A meeting needs a date and time.")
        if self.kind == self.Kind.TODO and self.activity_type_id is None:
            errors["activity_type"] = _("Choose the type of to-do.")
        if self.duration_minutes is not None and self.duration_minutes > 60 * 24 * 14:
            errors["duration_minutes"] = _("An activity lasts at most two weeks.")
        if errors:
            raise ValidationError(errors)


# Automation rules (seed 004: "automated workflow") and e-mail templates ("communication
# templates"). The engine is activities/rules.py, the merge of templates activities/templates_mail.py.

from crm.models import Role  # noqa: E402  (this part is appended below the core's models)


class AutomationRule(models.Model):
    """Admin-configured: when `trigger` happens and the conditions hold, do `action` once."""

    class Trigger(models.TextChoices):
        DEAL_ENTERS_STAGE = "deal_enters_stage", _("a deal enters a stage")
        DEAL_VALUE_ABOVE = "deal_value_above", _("a deal's value rises above an amount")
        DEAL_LOST = "deal_lost", _("a deal is lost")
        TODO_OVERDUE = "todo_overdue", _("a to-do is overdue")
        LEAD_CREATED = "lead_created", _("a lead is created")

    class Action(models.TextChoices):
        EMAIL_USER = "email_user", _("e-mail a user")
        EMAIL_ROLE = "email_role", _("e-mail everyone with a role")
        EMAIL_MANAGER = "email_manager", _("e-mail the owner's manager")
        EMAIL_OWNER = "email_owner", _("e-mail the owner")
        EMAIL_ADDRESS = "email_address", _("e-mail a fixed address")
        CREATE_TODO = "create_todo", _("create a to-do")
        SET_FIELD = "set_field", _("set a field")

    class Assignee(models.TextChoices):
        OWNER = "owner", _("the owner")
        MANAGER = "manager", _("the owner's manager")
        USER = "user", _("the user chosen above")

    class Field(models.TextChoices):
        # The only fields a rule may set, each through its app's service (gates included).
        DEAL_STAGE = "deal.stage", _("deal: stage (the stage's name in the deal's pipeline)")
        DEAL_PROBABILITY = "deal.probability", _("deal: probability (%)")
        DEAL_STATUS_REPORT = "deal.status_report", _("deal: status report")
        LEAD_STATUS = "lead.status", _("lead: status (new, working, qualified, disqualified)")
        LEAD_GRADE = "lead.grade", _("lead: grade")

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("when"), max_length=30, choices=Trigger.choices)
    trigger_stage = models.ForeignKey(
        "opportunities.Stage",
        verbose_name=_("stage entered"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("For “a deal enters a stage”."),
    )
    trigger_amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For “a deal's value rises above an amount”."),
    )
    # Conditions: all optional, all must hold (on the deal; a to-do's through its deal).
    condition_pipeline = models.ForeignKey(
        "opportunities.Pipeline",
        verbose_name=_("only in pipeline"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    condition_min_value = models.DecimalField(
        _("only when the value is at least"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    condition_stage = models.ForeignKey(
        "opportunities.Stage",
        verbose_name=_("only when the deal is in stage"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    action = models.CharField(_("then"), max_length=30, choices=Action.choices)
    action_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who is e-mailed (“e-mail a user”) or gets the to-do (“the user chosen above”)."),
    )
    action_role = models.CharField(
        _("role"), max_length=30, blank=True, choices=[(role.value, role.label) for role in Role]
    )
    action_address = models.EmailField(
        _("address"), blank=True, help_text=_("E.g. stock control, to prepare production (seed 004).")
    )
    subject = models.CharField(
        _("subject"),
        max_length=200,
        blank=True,
        help_text=_("Of the e-mail or the to-do; merge fields such as {{ deal.name }} work here."),
    )
    body = models.TextField(_("text"), blank=True, help_text=_("Of the e-mail, or the to-do's notes."))
    todo_assignee = models.CharField(
        _("to-do for"), max_length=10, choices=Assignee.choices, default=Assignee.OWNER
    )
    todo_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("to-do type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    todo_due_days = models.PositiveSmallIntegerField(_("to-do due in (days)"), default=1)
    set_field = models.CharField(_("field"), max_length=30, blank=True, choices=Field.choices)
    set_value = models.CharField(_("value"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from activities import rules

        rules.check_rule(self)


class RuleFiring(models.Model):
    """One firing of a rule for one event: the unique key is what keeps an event from firing a
    rule twice (a save retried, beat running twice, two workers)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    rule = models.ForeignKey(
        AutomationRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="firings"
    )
    event_key = models.CharField(_("event"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    detail = models.TextField(_("what happened"), blank=True)
    deal = models.ForeignKey(
        "opportunities.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The rules whose actions led to this event (a rule setting a deal's stage fires the rules of
    # that stage): a rule already in the chain does not fire again, whatever the admin configured.
    caused_by = models.JSONField(_("caused by rules"), default=list, blank=True)
    created_at = models.DateTimeField(_("fired"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        constraints = [
            models.UniqueConstraint(fields=["rule", "event_key"], name="rule_firing_once_per_event")
        ]
        indexes = [models.Index(fields=["rule", "activity"])]

    def __str__(self) -> str:
        return f"{self.rule} · {self.event_key}"


class EmailTemplate(models.Model):
    """A mail sent from a person or deal in two clicks (seed 004: the thank-you after a first
    meeting); merge fields such as {{ contact.first_name }} are filled from the record."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Merge fields: {{ contact.first_name }}, {{ contact.last_name }}, {{ company.name }}, "
            "{{ deal.name }}, {{ user.full_name }}, {{ user.signature }} … (the list is in the manual)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from activities import templates_mail

        errors = {}
        for name in ("subject", "body"):
            try:
                templates_mail.check_template(getattr(self, name))
            except templates_mail.MergeError as error:
                errors[name] = error.message
        if errors:
            raise ValidationError(errors)
