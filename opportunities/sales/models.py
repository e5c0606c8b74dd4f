"""Products, deal lines, quotes, sales orders, document templates and sales targets.

Imported at the end of opportunities/models.py so that they belong to the opportunities app.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.template import TemplateSyntaxError, engines
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Team

CENT = Decimal("0.01")

__all__ = [
    "DealLine",
    "DocumentTemplate",
    "NumberSequence",
    "Product",
    "ProductCategory",
    "Quote",
    "QuoteLine",
    "SalesOrder",
    "SalesOrderLine",
    "SalesTarget",
]


class ProductCategory(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("article number"), max_length=50, blank=True)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__position", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["name", "currency"], name="product_name_currency_unique")
        ]

    def __str__(self) -> str:
        return self.name


class LineFields(models.Model):
    """What a deal line, a quote line and an order line have in common."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    discount = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.description or (self.product.name if self.product_id else "")

    @property
    def total(self) -> Decimal:
        gross = (self.quantity or 0) * (self.unit_price or 0)
        return (gross * (Decimal(100) - (self.discount or 0)) / Decimal(100)).quantize(CENT)

    def clean(self):
        if not self.product_id and not self.description.strip():
            raise ValidationError({"description": _("Choose a product or describe the line.")})


class DealLine(LineFields):
    deal = models.ForeignKey("opportunities.Deal", on_delete=models.CASCADE, related_name="lines")

    class Meta(LineFields.Meta):
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")


class NumberSequence(models.Model):
    """The last number handed out per prefix and year ("Q", 2026 → Q-2026-0007); rows are locked."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class DocumentTemplate(models.Model):
    """A Django template string edited by administrators (trusted), rendered with auto-escaping."""

    class Kind(models.TextChoices):
        QUOTE = "quote", _("Quote")
        ORDER_CONFIRMATION = "order_confirmation", _("Order confirmation")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(
        _("body"),
        help_text=_(
            "HTML with Django template tags. Available: document (number, version, total, currency, "
            "created_at), lines (label, quantity, unit_price, discount, total), deal, company, contact, "
            "seller, today."
        ),
    )
    is_default = models.BooleanField(_("default for its kind"), default=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_default=True), name="one_default_document_template_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        try:
            engines["django"].from_string(self.body)
        except TemplateSyntaxError as error:
            raise ValidationError({"body": _("Template error: %(error)s") % {"error": error}}) from error


class SalesDocument(models.Model):
    """A numbered document made from a deal's lines: the parts quotes and orders share."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=0)
    html = models.TextField(_("rendered HTML"), blank=True)
    document = models.ForeignKey(
        "crm.Document",
        verbose_name=_("PDF"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class Quote(SalesDocument):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    deal = models.ForeignKey("opportunities.Deal", on_delete=models.CASCADE, related_name="quotes")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        ordering = ["deal", "-version"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [models.UniqueConstraint(fields=["deal", "version"], name="quote_version_unique")]

    def get_absolute_url(self) -> str:
        return reverse("opportunities:quote_detail", kwargs={"pk": self.pk})


class QuoteLine(LineFields):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineFields.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class SalesOrder(SalesDocument):
    deal = models.OneToOneField("opportunities.Deal", on_delete=models.CASCADE, related_name="sales_order")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")

    def get_absolute_url(self) -> str:
        return reverse("opportunities:sales_order_detail", kwargs={"pk": self.pk})


class SalesOrderLine(LineFields):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineFields.Meta):
        verbose_name = _("sales order line")
        verbose_name_plural = _("sales order lines")


class SalesTarget(models.Model):
    """A sales budget for one rep or one team over one month or quarter."""

    class PeriodType(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("seller"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    period_type = models.CharField(
        _("period"), max_length=7, choices=PeriodType.choices, default=PeriodType.MONTH
    )
    period_start = models.DateField(_("period start"), help_text=_("The first day of the month or quarter."))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")

    class Meta:
        ordering = ["period_start", "user", "team"]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="sales_target_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["user", "period_type", "period_start"],
                condition=Q(user__isnull=False),
                name="sales_target_unique_per_user_period",
            ),
            models.UniqueConstraint(
                fields=["team", "period_type", "period_start"],
                condition=Q(team__isnull=False),
                name="sales_target_unique_per_team_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.period_start:%Y-%m} ({self.get_period_type_display()})"

    def clean(self):
        if (self.user_id is None) == (self.team_id is None):
            raise ValidationError(_("Choose either a seller or a team, not both."))
        if self.period_start:
            if self.period_start.day != 1:
                raise ValidationError({"period_start": _("Start on the first day of a month.")})
            if self.period_type == self.PeriodType.QUARTER and self.period_start.month not in (1, 4, 7, 10):
                raise ValidationError(
                    {"period_start": _("A quarter starts on 1 January, 1 April, 1 July or 1 October.")}
                )

    @property
    def period_end(self) -> datetime.date:
        return period_end(self.period_start, self.period_type)


def period_end(start: datetime.date, period_type: str) -> datetime.date:
    """The last day of the month or quarter starting at `start`."""
    months = 3 if period_type == SalesTarget.PeriodType.QUARTER else 1
    month_index = start.month - 1 + months - 1
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, calendar.monthrange(year, month)[1])
