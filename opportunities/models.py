import re
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.models import BusinessUnit, BuyingInfluence, Company, Person, Sector
from crm.lookups import Lookup
from crm.models import OwnedModel, OwnedQuerySet
from crm.record_urls import detail_url
from crm.search import SearchableModel

# What a stage can require of a deal; the words say what is missing in a rep's language. Most
# are deal fields; "contact_person" and "prioritised_vertical" are rules over them, checked in
# opportunities/pipeline.py. A stage's entry "a|b" means a or b (either one will do).
REQUIREMENT_FIELDS = {
    "company": _("a company"),
    "primary_contact": _("a primary contact person"),
    "contact_person": _(
        "a valid contact person: a primary contact with a name and an e-mail address or phone number, "
        "from the deal's company"
    ),
    "expected_close_date": _("an expected close date"),
    "value": _("an estimated value"),
    "volume": _("a volume of information (amount and unit: data or pages)"),
    "sector": _("public or private sector"),
    "vertical": _("a vertical"),
    "prioritised_vertical": _("one of the prioritised verticals"),
    "business_unit": _("a business unit"),
    "use_case": _("a use case"),
    "business_case": _("a business case"),
    "probability": _("a win probability"),
    "lost_reason": _("the reason the deal was lost"),
    "description": _("the reason for adding it, written in the description"),
}
ALTERNATIVE_SEPARATOR = "|"
DEAL_NAME_LENGTH = 200


def _percentage(line: str) -> int | None:
    """A line of a pipeline's fixed probabilities ("50" or "50 %") as a whole percentage."""
    text = line.strip().removesuffix("%").strip()
    return int(text) if text.isdigit() and int(text) <= 100 else None


def requirement_alternatives(entry: str) -> list[str]:
    """The requirements one entry of a stage's required fields names: "a|b" is a or b."""
    return [part.strip() for part in str(entry).split(ALTERNATIVE_SEPARATOR)]


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    sms_enabled = models.BooleanField(
        _("batch text messages (SMS)"),
        default=False,
        help_text=_(
            "Whether the sales board of this pipeline may send a text message to every customer in "
            "its view. Off until an administrator turns it on."
        ),
    )
    # Seed 001, "Definition": fixed labels instead of free text.
    deal_names = models.TextField(
        _("fixed deal names"),
        blank=True,
        help_text=_(
            "One subject per line. When given, a deal of this pipeline takes its name from this list "
            "(a dropdown) instead of free text. Empty: any name."
        ),
    )
    probabilities = models.TextField(
        _("fixed probabilities (%)"),
        blank=True,
        help_text=_(
            "One weight per line, whole numbers from 0 to 100, e.g. 10, 25, 50, 75, 90. When given, a "
            "deal's probability is chosen from this list. Empty: any percentage."
        ),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name

    @property
    def fixed_deal_names(self) -> list[str]:
        """The subjects a deal of this pipeline may be named, in order; [] for free text."""
        return list(dict.fromkeys(line.strip() for line in self.deal_names.splitlines() if line.strip()))

    @property
    def fixed_probabilities(self) -> list[int]:
        """The weights a deal of this pipeline may have, in order; [] for any percentage.
        Lines that are not a whole percentage are left out (clean() refuses them in admin)."""
        values = (_percentage(line) for line in self.probabilities.splitlines())
        return list(dict.fromkeys(value for value in values if value is not None))

    def clean(self):
        errors = {}
        too_long = [name for name in self.fixed_deal_names if len(name) > DEAL_NAME_LENGTH]
        if too_long:
            errors["deal_names"] = _("A deal name has at most %(max)s characters: %(names)s") % {
                "max": DEAL_NAME_LENGTH,
                "names": ", ".join(too_long),
            }
        lines = [line.strip() for line in self.probabilities.splitlines()]
        invalid = [line for line in lines if line and _percentage(line) is None]
        if invalid:
            errors["probabilities"] = _(
                "Give whole percentages from 0 to 100, one a line, not: %(values)s"
            ) % {"values": ", ".join(invalid)}
        if errors:
            raise ValidationError(errors)


class Stage(models.Model):
    """A step of a pipeline and what a deal must have to enter it."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    default_probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    required_fields = models.JSONField(
        _("required fields"),
        default=list,
        blank=True,
        help_text=_(
            "What a deal must have to enter this stage: %(fields)s. Write “a|b” when either one will do, "
            "e.g. “prioritised_vertical|description”."
        )
        % {"fields": ", ".join(REQUIREMENT_FIELDS)},
    )
    name_rule = models.CharField(
        _("name rule (regular expression)"),
        max_length=300,
        blank=True,
        help_text=_("A deal's name must match this pattern to enter the stage."),
    )
    name_rule_explanation = models.CharField(
        _("name rule in words"),
        max_length=300,
        blank=True,
        help_text=_("What a rep reads when the name does not match, with examples."),
    )

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique_in_pipeline")
        ]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.name}"

    def clean(self):
        entries = self.required_fields or []
        if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
            raise ValidationError({"required_fields": _('Give a list of names, e.g. ["company", "value"].')})
        unknown = [
            name
            for entry in entries
            for name in requirement_alternatives(entry)
            if name not in REQUIREMENT_FIELDS
        ]
        if unknown:
            raise ValidationError(
                {"required_fields": _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}}
            )
        if self.name_rule:
            try:
                re.compile(self.name_rule)
            except re.error as error:
                raise ValidationError(
                    {"name_rule": _("Not a valid pattern: %(error)s") % {"error": error}}
                ) from error
            if not self.name_rule_explanation:
                raise ValidationError({"name_rule_explanation": _("Explain the rule in words for the reps.")})

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class StageCriterion(models.Model):
    """A statement a person must confirm with a tick before a deal enters the stage."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="criteria")
    text = models.CharField(_("criterion"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["stage", "position"]
        verbose_name = _("checklist criterion")
        verbose_name_plural = _("checklist criteria")

    def __str__(self) -> str:
        return self.text


class Vertical(Lookup):
    is_prioritised = models.BooleanField(
        _("prioritised"),
        default=False,
        help_text=_(
            "One of the verticals the company prioritises: a deal in it needs no reason in its "
            "description to enter a stage that asks for a prioritised vertical or a reason."
        ),
    )

    class Meta(Lookup.Meta):
        verbose_name = _("vertical")
        verbose_name_plural = _("verticals")


class VolumeUnit(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("volume unit")
        verbose_name_plural = _("volume units")


def weighted_value_expression() -> models.Expression:
    """A deal's weighted value in SQL: value × (its probability, else its stage's default) / 100;
    a won deal weighs its whole value, a lost one nothing; an open deal without a value, none."""
    return models.Case(
        models.When(stage__kind=Stage.Kind.WON, then=models.F("value")),
        models.When(stage__kind=Stage.Kind.LOST, then=models.Value(Decimal(0))),
        default=models.F("value")
        * Coalesce("probability", "stage__default_probability")
        / models.Value(Decimal(100)),
        output_field=models.DecimalField(max_digits=20, decimal_places=4),
    )


class DealQuerySet(OwnedQuerySet):
    def with_weighted_value(self) -> "DealQuerySet":
        """Each deal annotated with `weighted` (see `weighted_value_expression`)."""
        return self.annotate(weighted=weighted_value_expression())


class Deal(OwnedModel, SearchableModel):
    objects = DealQuerySet.as_manager()

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    name = models.CharField(_("name"), max_length=DEAL_NAME_LENGTH)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    primary_contact = models.ForeignKey(
        Person,
        verbose_name=_("primary contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_deals",
    )
    contacts = models.ManyToManyField(
        Person, through="DealContact", verbose_name=_("contacts"), blank=True, related_name="deals"
    )
    colleagues = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("colleagues"), blank=True, related_name="+"
    )
    value = models.DecimalField(
        _("value"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to use the stage's default."),
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    volume_amount = models.DecimalField(
        _("volume"), max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    volume_unit = models.ForeignKey(
        VolumeUnit,
        verbose_name=_("volume unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vertical = models.ForeignKey(
        Vertical,
        verbose_name=_("vertical"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    use_case = models.TextField(_("use case"), blank=True)
    business_case = models.TextField(_("business case"), blank=True)
    status_report = models.TextField(_("status report"), blank=True)
    lost_reason = models.TextField(_("lost reason"), blank=True)
    closed_on = models.DateField(_("won/lost on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    confirmed_criteria = models.ManyToManyField(StageCriterion, through="CriterionConfirmation", blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    history = HistoricalRecords(excluded_fields=["search_text", "search_vector", "updated_at", "version"])

    class Meta:
        ordering = ["expected_close_date", "pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        permissions = [("export_deal", _("Can export deals"))]
        indexes = [
            models.Index(fields=["pipeline", "stage", "expected_close_date"]),
            models.Index(fields=["owner", "expected_close_date"]),
            # The list's default order (expected close date, then id): page 1 reads 51 index
            # entries instead of sorting every visible deal.
            models.Index(fields=["expected_close_date", "id"], name="deal_close_date_id"),
            models.Index(fields=["closed_on"]),
            GinIndex(fields=["search_vector"], name="deal_search_gin"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("opportunities:deal_detail", self.pk)

    def search_words(self) -> list[str]:
        return [self.name]

    @property
    def effective_probability(self) -> int:
        return self.probability if self.probability is not None else self.stage.default_probability


class DealContact(models.Model):
    """A person involved in the deal, with their role in the buying decision."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="deal_roles")
    role = models.ForeignKey(
        BuyingInfluence,
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "person"], name="deal_contact_once")]
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")

    def __str__(self) -> str:
        return f"{self.person} ({self.role or '—'})"


class CriterionConfirmation(models.Model):
    """Who ticked a stage's checklist criterion for a deal, and when."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="confirmations")
    criterion = models.ForeignKey(StageCriterion, on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "criterion"], name="criterion_confirmed_once")]

    def __str__(self) -> str:
        return f"{self.criterion} ✓"


from opportunities.sales.models import *  # noqa: E402,F403
