"""Web forms and website visit tracking (seed 002, issue 14 items 5 and 6).

A web form is built by a marketing user: which of a fixed list of lead fields it asks for, what
the visitor sees afterwards, and what a submission sets off (auto-reply, the seller's
notification, the lead's assignment, the campaign and company tags). Each submission keeps what
was typed, next to the lead it created or updated.

Tracked page patterns give a visit on the company website its points (seed 002: low points
everywhere, high ones for the pricing and thank-you pages); excluded patterns (a customer portal)
are never recorded. A page visit of a known visitor is kept, and scored through
marketing.scoring.
"""

from __future__ import annotations

import uuid
from fnmatch import fnmatchcase

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import CompanyCategory, Person
from crm.models import OwnedModel, Team
from leads.models import Lead
from marketing.models import AboutPeopleQuerySet, Campaign

# The lead fields a form may ask for, in the order a form shows them.
FIELD_CHOICES = [
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("company_name", _("Company")),
    ("title", _("Title")),
    ("message", _("Message")),
    ("consent", _("Consent to e-mail")),
]
FIELD_NAMES = [name for name, _label in FIELD_CHOICES]


def validate_fields(value) -> None:
    """A form's fields: a list of {"name": one of FIELD_NAMES, "required": bool}, each once."""
    if not isinstance(value, list):
        raise ValidationError(_("Choose the form's fields."))
    names = [item.get("name") if isinstance(item, dict) else None for item in value]
    if any(name not in FIELD_NAMES for name in names) or len(set(names)) != len(names):
        raise ValidationError(_("Choose each field once, from the list."))
    if any(not isinstance(item.get("required", False), bool) for item in value):
        raise ValidationError(_("Choose each field once, from the list."))
    if "email" not in names:
        raise ValidationError(_("A form asks for the e-mail address: it is how a lead is found again."))


def validate_web_url(value: str) -> None:
    """http or https only: no javascript:, data: or relative redirect targets."""
    if not value:
        return
    URLValidator(schemes=["http", "https"], message=_("Enter an http:// or https:// address."))(value)


class WebForm(OwnedModel):
    """A public form (contact us, whitepaper, newsletter, custom) and what its submissions do."""

    class Kind(models.TextChoices):
        CONTACT_US = "contact_us", _("Contact us")
        WHITEPAPER = "whitepaper", _("Whitepaper")
        NEWSLETTER = "newsletter", _("Newsletter")
        CUSTOM = "custom", _("Custom")

    class Assignment(models.TextChoices):
        NONE = "none", _("Do not assign")
        USER = "user", _("To one user")
        ROUND_ROBIN = "round_robin", _("Round-robin within a team")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CONTACT_US)
    public_key = models.UUIDField(_("public key"), default=uuid.uuid4, unique=True, editable=False)
    is_active = models.BooleanField(_("accepts submissions"), default=True)
    fields = models.JSONField(_("fields"), default=list, validators=[validate_fields])
    title = models.CharField(_("heading"), max_length=200, blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    thank_you_text = models.TextField(_("thank-you text"), blank=True)
    redirect_url = models.CharField(
        _("redirect to"),
        max_length=500,
        blank=True,
        validators=[validate_web_url],
        help_text=_("Instead of the thank-you text: an http:// or https:// page of your website."),
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Actions
    tag_campaign = models.BooleanField(_("tag the lead in the campaign"), default=True)
    auto_reply = models.BooleanField(_("send an auto-reply to the lead"), default=False)
    auto_reply_subject = models.CharField(_("auto-reply subject"), max_length=200, blank=True)
    auto_reply_body = models.TextField(
        _("auto-reply text"),
        blank=True,
        help_text=_("{{ first_name }}, {{ last_name }} and {{ form }} are replaced."),
    )
    notify_seller = models.BooleanField(_("notify the seller"), default=True)
    assignment = models.CharField(
        _("assign the lead"), max_length=20, choices=Assignment.choices, default=Assignment.NONE
    )
    assign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assign_team = models.ForeignKey(
        Team,
        verbose_name=_("round-robin team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # How many leads the round-robin has handed out: the next goes to member number
    # `round_robin_next % members` (advanced under the form's row lock).
    round_robin_next = models.PositiveIntegerField(default=0, editable=False)
    company_category = models.ForeignKey(
        CompanyCategory,
        verbose_name=_("tag the company in the category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webforms:form_detail", kwargs={"pk": self.pk})

    def public_url(self) -> str:
        return reverse("webforms_public:form_page", kwargs={"key": self.public_key})

    def clean(self):
        errors = {}
        if self.assignment == self.Assignment.USER and self.assign_user_id is None:
            errors["assign_user"] = _("Choose whom the leads go to.")
        if self.assignment == self.Assignment.ROUND_ROBIN and self.assign_team_id is None:
            errors["assign_team"] = _("Choose the team whose members take turns.")
        if self.auto_reply and not (self.auto_reply_subject.strip() and self.auto_reply_body.strip()):
            errors["auto_reply_body"] = _("An auto-reply needs a subject and a text.")
        if errors:
            raise ValidationError(errors)

    def field_list(self) -> list[dict]:
        return [item for item in self.fields if item.get("name") in FIELD_NAMES]


class Submission(models.Model):
    """One accepted submission of a web form: what was typed, and the lead it went to."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="submissions")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=150, blank=True)
    message = models.TextField(_("message"), blank=True)
    consent = models.BooleanField(_("consented to e-mail"), default=False)
    created_lead = models.BooleanField(_("new lead"), default=False)
    actions = models.JSONField(_("actions done"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    objects = AboutPeopleQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        indexes = [
            models.Index(fields=["form", "-submitted_at"]),
            models.Index(fields=["lead", "-submitted_at"]),
            models.Index(fields=["person", "-submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.form}: {self.email}"


class PagePattern(models.Model):
    """Which pages of the company website count, and for how much; or which never do."""

    pattern = models.CharField(
        _("page pattern"),
        max_length=300,
        unique=True,
        help_text=_("A path such as /pricing, a prefix ending in * (/docs/*) or a glob (*/thank-you*)."),
    )
    points = models.IntegerField(_("points"), default=1)
    excluded = models.BooleanField(
        _("never track"), default=False, help_text=_("e.g. the customer portal: visits are not recorded.")
    )

    class Meta:
        ordering = ["excluded", "-points", "pattern"]
        verbose_name = _("tracked page pattern")
        verbose_name_plural = _("tracked page patterns")

    def __str__(self) -> str:
        return self.pattern

    def matches(self, path: str) -> bool:
        """A glob (with * ? or [) matches the whole path; a plain path is a prefix of whole
        segments (/pricing matches /pricing and /pricing/teams, not /pricingx)."""
        return pattern_matches(self.pattern, path)


def pattern_matches(pattern: str, path: str) -> bool:
    pattern, path = pattern.lower(), path.lower()
    if any(char in pattern for char in "*?["):
        return fnmatchcase(path, pattern)
    base = pattern.rstrip("/")
    return path in (pattern, base) or path.startswith(base + "/")


class PageVisit(models.Model):
    """A visit of a known visitor to a tracked page of the company website."""

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(_("page"), max_length=500)
    points = models.IntegerField(_("points"))
    visited_at = models.DateTimeField(_("visited"), default=timezone.now)

    objects = AboutPeopleQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_at", "-pk"]
        verbose_name = _("page visit")
        verbose_name_plural = _("page visits")
        indexes = [
            models.Index(fields=["person", "-visited_at"]),
            models.Index(fields=["lead", "-visited_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(lead__isnull=False),
                name="page_visit_has_visitor",
            )
        ]

    def __str__(self) -> str:
        return self.url


class VisitBatch(models.Model):
    """A batch of queued page visits that was written (marketing.webforms.visit_queue): its key
    is written in the batch's transaction, so a batch is never written twice. Kept a day."""

    key = models.CharField(max_length=32, unique=True)
    events = models.PositiveIntegerField(default=0)
    drained_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("written batch of page visits")
        verbose_name_plural = _("written batches of page visits")

    def __str__(self) -> str:
        return self.key
