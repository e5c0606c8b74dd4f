from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.lookups import Lookup
from crm.models import OwnedModel
from crm.record_urls import detail_url
from crm.search import SearchableModel


class ContactType(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("contact type")
        verbose_name_plural = _("contact types")


class BusinessUnit(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")


class Market(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("market")
        verbose_name_plural = _("markets")


class LifeCycle(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("life cycle stage")
        verbose_name_plural = _("life cycle stages")


class Sector(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class Segment(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("segment")
        verbose_name_plural = _("segments")


class CompanyCategory(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("company category")
        verbose_name_plural = _("company categories")


class CompanyStatus(Lookup):
    """What is the next step with this customer (MiniCRM's datasheet status)."""

    class Meta(Lookup.Meta):
        verbose_name = _("company status")
        verbose_name_plural = _("company statuses")


class BuyingInfluence(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("buying influence")
        verbose_name_plural = _("buying influences")


class BuyingInfluenceConcept(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("buying-influence concept")
        verbose_name_plural = _("buying-influence concepts")


class ResponseMode(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("response mode")
        verbose_name_plural = _("response modes")


def _lookup(model, label):
    return models.ForeignKey(
        model, verbose_name=label, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class Company(OwnedModel, SearchableModel):
    name = models.CharField(_("name"), max_length=200)
    contact_type = _lookup(ContactType, _("contact type"))
    business_unit = _lookup(BusinessUnit, _("business unit"))
    market = _lookup(Market, _("market"))
    life_cycle = _lookup(LifeCycle, _("life cycle"))
    sector = _lookup(Sector, _("sector"))
    segment = _lookup(Segment, _("segment"))
    status = _lookup(CompanyStatus, _("status"))
    categories = models.ManyToManyField(
        CompanyCategory, verbose_name=_("categories"), blank=True, related_name="+"
    )
    website = models.URLField(_("website"), blank=True)
    email_domain = models.CharField(_("e-mail domain"), max_length=253, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    history = HistoricalRecords(excluded_fields=["search_text", "search_vector", "updated_at", "version"])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        permissions = [
            ("export_company", _("Can export companies")),
            ("merge_company", _("Can merge companies")),
        ]
        indexes = [
            # Sorted lists read a page's ids from these alone (see crm/pagination.py); owner and
            # team ride along so the visibility filter needs no table lookups either.
            models.Index(fields=["owner", "name", "id"], name="company_owner_name_id"),
            models.Index(
                fields=["sector", "name", "id"], include=["owner", "team"], name="company_sector_name_id"
            ),
            models.Index(fields=["name", "id"], include=["owner", "team"], name="company_name_id"),
            GinIndex(fields=["search_vector"], name="company_search_gin"),
            GinIndex(fields=["custom_fields"], name="company_custom_fields_gin"),
            # Equality only (imports match by domain): db_index would add a second, `_like`
            # index no query uses, on the company and on its history.
            models.Index(fields=["email_domain"], name="company_email_domain"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("contacts:company_detail", self.pk)

    def search_words(self) -> list[str]:
        return [self.name, self.email_domain, self.website, self.phone]


class Person(OwnedModel, SearchableModel):
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    business_unit = _lookup(BusinessUnit, _("business unit"))
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    title = models.CharField(_("title"), max_length=150, blank=True)
    linkedin = models.URLField(_("LinkedIn"), blank=True)
    buying_influence = _lookup(BuyingInfluence, _("buying influence"))
    buying_influence_concept = _lookup(BuyingInfluenceConcept, _("buying-influence concept"))
    response_mode = _lookup(ResponseMode, _("response mode"))
    win_result = models.CharField(
        _("win-result"),
        max_length=300,
        blank=True,
        help_text=_("What this person wins personally from the deal."),
    )
    consent_email = models.BooleanField(_("agrees to e-mail"), default=False)
    consent_phone = models.BooleanField(_("agrees to calls and SMS"), default=False)
    consent_updated_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    consent_source = models.CharField(
        _("consent source"),
        max_length=100,
        blank=True,
        help_text=_("Where the consent was given, e.g. a web form."),
    )
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    last_touched_at = models.DateTimeField(_("last touched"), default=timezone.now, db_index=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # OwnedModel's owner without its own index: person_owner_name_id starts with the owner and
    # serves every lookup by owner (the visibility filter, a user's deletion; EXPLAIN in issue 12).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    history = HistoricalRecords(excluded_fields=["search_text", "search_vector", "updated_at", "version"])

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        permissions = [
            ("export_person", _("Can export people")),
            ("merge_person", _("Can merge people")),
        ]
        indexes = [
            models.Index(fields=["owner", "last_name", "first_name", "id"], name="person_owner_name_id"),
            models.Index(
                fields=["last_name", "first_name", "id"], include=["owner", "team"], name="person_name_id"
            ),
            GinIndex(fields=["search_vector"], name="person_search_gin"),
            # No GIN on custom_fields: the custom-field filters compare one key (-> and ->>),
            # which such an index cannot serve (EXPLAIN in issue 12); it only slowed inserts.
            # Duplicates and lead matches look people up by e-mail in any case (email__iexact).
            models.Index(Upper("email"), name="person_email_upper"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return detail_url("contacts:person_detail", self.pk)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def search_words(self) -> list[str]:
        domain = self.email.partition("@")[2]
        return [self.first_name, self.last_name, self.email, domain, self.phone, self.title]


def required_field_targets() -> list[tuple[str, str]]:
    """The kinds of record registered with contacts.required_fields (leads registers its own).

    A callable, so that migrations store its path and a new app's target needs none."""
    from contacts.required_fields import target_choices  # it reads RequiredField

    return target_choices()


class RequiredField(models.Model):
    """The administrator's minimum information of a kind of record (seed 000): a field its full
    edit form, the import and the API ask for. The rules live in contacts/required_fields.py."""

    # The model's label ("contacts.person"), one of those registered with
    # contacts.required_fields.register from each app's AppConfig.ready().
    target = models.CharField(_("record"), max_length=40, choices=required_field_targets)
    field_name = models.CharField(
        _("field"),
        max_length=60,
        help_text=_("The field's name in the record's edit form, e.g. business_unit."),
    )
    is_required = models.BooleanField(
        _("required"), default=True, help_text=_("Untick to let the forms save records without it.")
    )

    class Meta:
        ordering = ["target", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["target", "field_name"], name="required_field_once_per_target")
        ]
        verbose_name = _("required field")
        verbose_name_plural = _("required fields")

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.field_name}"

    def clean(self):
        # Imported here: the rule module reads this model.
        from contacts.required_fields import setting_errors

        errors = setting_errors(target=self.target, field_name=self.field_name, is_required=self.is_required)
        if errors:
            raise ValidationError(errors)
