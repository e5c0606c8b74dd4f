"""The filter bars of the company and person lists (crm.filters.ConfigurableFilterSet)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, Person
from crm.filters import ConfigurableFilterSet


class CompanyFilter(ConfigurableFilterSet):
    list_name = "companies"
    custom_field_model = Company
    configurable_fields = [
        "status", "contact_type", "business_unit", "market", "life_cycle", "sector", "segment", "categories",
        "email_domain", "website", "phone",
    ]  # fmt: skip
    default_fields = ["status", "sector", "segment", "market", "life_cycle", "categories"]
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("created_at", "created"), ("updated_at", "updated")),
        label=_("Sort"),
        empty_label=_("Name"),
    )

    class Meta:
        model = Company
        fields = ["q", "owner", "team"]


class PersonFilter(ConfigurableFilterSet):
    list_name = "people"
    custom_field_model = Person
    configurable_fields = [
        "business_unit", "title", "buying_influence", "buying_influence_concept", "response_mode",
        "consent_email", "consent_phone", "email",
    ]  # fmt: skip
    default_fields = ["business_unit", "buying_influence", "consent_email"]
    company = django_filters.CharFilter(
        field_name="company__name", lookup_expr="icontains", label=_("Company")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("last_name", "name"), ("created_at", "created"), ("last_touched_at", "last_touched")),
        label=_("Sort"),
        empty_label=_("Name"),
    )

    class Meta:
        model = Person
        fields = ["q", "company", "owner", "team"]
