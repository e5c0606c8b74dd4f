"""Marketing's core (seeds 002 and 004): plans and the campaigns under them, which records each
campaign brought in (attribution), segments, and lead scoring — the points per kind of event,
the events themselves, each person's running score and the grades set on it, and the mail
settings of seed 002.

Email campaigns (marketing.mailings) and web forms with website visit tracking
(marketing.webforms) build on these; they score contacts through `marketing.scoring`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Person
from crm.models import OwnedModel
from leads.models import Lead

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class MarketingPlan(OwnedModel):
    """A period's marketing plan (seed 004): its budget and what it is to bring."""

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    budget = models.DecimalField(_("budget"), default=Decimal("0"), **MONEY)
    target_leads = models.PositiveIntegerField(_("target: leads"), default=0)
    target_revenue = models.DecimalField(_("target: revenue"), default=Decimal("0"), **MONEY)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-starts_on", "name", "pk"]
        verbose_name = _("marketing plan")
        verbose_name_plural = _("marketing plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="plan_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:plan_detail", args=[self.pk])


class Campaign(OwnedModel):
    """A campaign (seed 004: trade show, TV, magazine, mailing…), measured by the leads it brings."""

    class Kind(models.TextChoices):
        TRADE_SHOW = "trade_show", _("Trade show")
        TV = "tv", _("TV")
        MAGAZINE = "magazine", _("Magazine")
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(
        MarketingPlan,
        verbose_name=_("marketing plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), default=Decimal("0"), **MONEY)
    actual_cost = models.DecimalField(_("actual cost"), default=Decimal("0"), **MONEY)
    target_leads = models.PositiveIntegerField(_("target: leads"), default=0)
    target_revenue = models.DecimalField(_("target: revenue"), default=Decimal("0"), **MONEY)
    audience = models.TextField(
        _("audience"),
        blank=True,
        help_text=_("Whom it reaches, e.g. company size, location, preferred products."),
    )
    segments = models.ManyToManyField("Segment", verbose_name=_("segments"), blank=True, related_name="+")
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-starts_on", "name", "pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        # Seed 003: marketing set-up is the Managers'; Normal users only when granted.
        permissions = [("manage_marketing", _("Can run marketing (plans, campaigns, mailings, forms)"))]
        indexes = [models.Index(fields=["status", "-starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign_detail", args=[self.pk])


class Attribution(models.Model):
    """A lead, person or deal brought by a campaign: the first campaign that touched it, and the
    one that converted it (seed 004: a campaign's success is measured by its leads)."""

    class Touch(models.TextChoices):
        FIRST = "first", _("First touch")
        CONVERTING = "converting", _("Converting")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attributions")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    touch = models.CharField(max_length=20, choices=Touch.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign attribution")
        verbose_name_plural = _("campaign attributions")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "touch"], name="one_attribution_per_touch"
            )
        ]
        indexes = [models.Index(fields=["campaign", "content_type", "touch"])]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.get_touch_display()}"


class Segment(OwnedModel):
    """A saved filter over people or companies (category, sector, score, consent, custom
    fields…); `definition` holds the filter's values as the segment form cleaned them."""

    class Target(models.TextChoices):
        PEOPLE = "people", _("People")
        COMPANIES = "companies", _("Companies")

    name = models.CharField(_("name"), max_length=200)
    target = models.CharField(_("of"), max_length=20, choices=Target.choices, default=Target.PEOPLE)
    definition = models.JSONField(default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class ScoreKind(models.TextChoices):
    EMAIL_OPENED = "email_opened", _("E-mail opened")
    LINK_CLICKED = "link_clicked", _("Link clicked")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    PAGE_VISITED = "page_visited", _("Page visited")
    FORM_SUBMITTED = "form_submitted", _("Form submitted")


# Seed 002: "opened 0, clicked 5, unsubscribed -3"; a visit's points come from its page pattern.
DEFAULT_POINTS = {
    ScoreKind.EMAIL_OPENED: 0,
    ScoreKind.LINK_CLICKED: 5,
    ScoreKind.UNSUBSCRIBED: -3,
    ScoreKind.PAGE_VISITED: 1,
    ScoreKind.FORM_SUBMITTED: 10,
}


class ScoreRule(models.Model):
    """The points an event of one kind is worth; a change applies to future events only."""

    kind = models.CharField(_("event"), max_length=20, choices=ScoreKind.choices, unique=True)
    points = models.IntegerField(_("points"))

    class Meta:
        ordering = ["kind"]
        verbose_name = _("score rule")
        verbose_name_plural = _("score rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.points:+d}"


class Grade(models.Model):
    """A grade given to every score at or above `min_score` (the highest such grade wins)."""

    label = models.CharField(_("grade"), max_length=20, unique=True)
    min_score = models.IntegerField(_("from score"), unique=True)

    class Meta:
        ordering = ["-min_score"]
        verbose_name = _("grade")
        verbose_name_plural = _("grades")

    def __str__(self) -> str:
        return self.label


class AboutPeopleQuerySet(models.QuerySet):
    """Rows about a person and/or a lead (scores, mails, submissions, visits): visible to whoever
    sees that person or lead (gdpr's subject-access export lists them through this)."""

    person_path: str | None = "person"
    lead_path: str | None = "lead"

    def visible_to(self, user):
        condition = models.Q(pk__in=[])
        if self.person_path:
            condition |= models.Q(**{f"{self.person_path}__in": Person.objects.visible_to(user).values("pk")})
        if self.lead_path:
            condition |= models.Q(**{f"{self.lead_path}__in": Lead.objects.visible_to(user).values("pk")})
        return self.filter(condition)


class AboutAPersonQuerySet(AboutPeopleQuerySet):
    lead_path = None


class ScoreEvent(models.Model):
    """One scored event of a person or a lead, with the points it was worth when it happened."""

    kind = models.CharField(max_length=20, choices=ScoreKind.choices)
    points = models.IntegerField()
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    objects = AboutPeopleQuerySet.as_manager()

    class Meta:
        verbose_name = _("score event")
        verbose_name_plural = _("score events")
        indexes = [
            models.Index(fields=["person", "-occurred_at"]),
            models.Index(fields=["lead", "-occurred_at"]),
            models.Index(fields=["campaign", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(lead__isnull=False),
                name="score_event_has_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"


class PersonScore(models.Model):
    """A person's running score and grade (a lead's live on the lead itself)."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="+")
    score = models.IntegerField(default=0)
    grade = models.CharField(max_length=20, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AboutAPersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person score")
        verbose_name_plural = _("person scores")

    def __str__(self) -> str:
        return f"{self.score} {self.grade}".strip()


class MarketingSettings(models.Model):
    """Seed 002's mail settings: who mailings come from and the company profile in their footer,
    and how scores fade. One row, edited by administrators."""

    default_sender = models.EmailField(_("default sender address"), blank=True)
    default_sending_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default sending user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    company_address = models.TextField(_("company address"), blank=True)
    company_logo = models.ImageField(_("company logo"), upload_to="marketing/", blank=True)
    # The last time scores faded (marketing.services.scores_decay): the daily job fades them once
    # per 30 days elapsed, and moves this date forward by compare-and-swap.
    scores_decayed_on = models.DateField(_("scores last decayed"), null=True, blank=True, editable=False)
    score_decay_percent = models.PositiveSmallIntegerField(
        _("score decay per month (%)"),
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("0 keeps scores as they are; 10 takes a tenth off every score each month."),
    )

    class Meta:
        verbose_name = _("mail settings")
        verbose_name_plural = _("mail settings")

    def __str__(self) -> str:
        return str(_("Mail settings"))

    @classmethod
    def load(cls) -> MarketingSettings:
        instance, _created = cls.objects.get_or_create(pk=1)
        return instance


class CampaignTask(models.Model):
    """A to-do (an activity) filed under a campaign (seed 004: campaigns carry their tasks).
    Activities link to companies, people, deals and leads and know no campaign; marketing, which
    sits above activities, keeps the link instead of activities growing a parent for it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    activity = models.OneToOneField("activities.Activity", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.activity_id}"


class _PersonOfAttribution(models.ForeignObject):
    """The person an attribution names, as a relation without a column of its own (its
    `object_id` is the person's id); private, as a generic relation is, so a proxy may hold it."""

    def contribute_to_class(self, cls, name, private_only=False, **kwargs):
        super().contribute_to_class(cls, name, private_only=True, **kwargs)


class PersonAttributionQuerySet(models.QuerySet):
    def visible_to(self, user) -> PersonAttributionQuerySet:
        return self.filter(object_id__in=Person.objects.visible_to(user).values("pk"))


class PersonAttributionManager(models.Manager.from_queryset(PersonAttributionQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(content_type__app_label="contacts", content_type__model="person")


class PersonAttribution(Attribution):
    """The attributions of people alone, for gdpr's registry (its lookups need a field that
    reaches the person; a generic relation has none)."""

    objects = PersonAttributionManager()
    person = _PersonOfAttribution(
        Person, from_fields=["object_id"], to_fields=["id"], on_delete=models.DO_NOTHING, related_name="+"
    )

    class Meta:
        proxy = True
        base_manager_name = "objects"
        verbose_name = _("campaign of a person")
        verbose_name_plural = _("campaigns of a person")
