from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.models import BusinessUnit, Company, Person
from crm.lookups import Lookup
from crm.models import OwnedModel
from crm.search import SearchableModel


class LeadSource(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class Lead(OwnedModel, SearchableModel):
    """Someone we met (a trade show, a web form, an import) but do not yet work an opportunity with."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        WORKING = "working", _("Working")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    OPEN_STATUSES = [Status.NEW, Status.WORKING, Status.QUALIFIED]

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    linkedin = models.URLField(_("LinkedIn"), blank=True)
    title = models.CharField(_("title"), max_length=150, blank=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    details = models.CharField(
        _("details"),
        max_length=300,
        blank=True,
        help_text=_("Where we met the lead, e.g. the name and year of the conference."),
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    score = models.IntegerField(_("score"), default=0)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    converted_company = models.ForeignKey(
        Company,
        verbose_name=_("became company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_person = models.ForeignKey(
        Person,
        verbose_name=_("became person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_deal = models.ForeignKey(
        "opportunities.Deal",
        verbose_name=_("became deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["search_text", "search_vector", "updated_at", "version"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        permissions = [
            ("export_lead", _("Can export leads")),
            ("convert_lead", _("Can convert leads")),
        ]
        # No index of status alone (status, -created_at serves it) and no `_like` index: equality
        # lookups only, and the history tables carry none of them.
        indexes = [
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["owner", "status"]),
            GinIndex(fields=["search_vector"], name="lead_search_gin"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("leads:lead_detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def email_domain(self) -> str:
        return self.email.partition("@")[2].lower()

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def search_words(self) -> list[str]:
        return [self.first_name, self.last_name, self.company_name, self.email, self.email_domain, self.phone]
