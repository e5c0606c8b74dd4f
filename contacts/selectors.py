"""Reads of companies and people, always starting from what the user may see."""

from contacts.models import Company, Person
from crm.pagination import Capped, capped

COMPANY_LOOKUPS = [
    "owner",
    "team",
    "status",
    "contact_type",
    "business_unit",
    "market",
    "life_cycle",
    "sector",
    "segment",
]
PERSON_LOOKUPS = [
    "owner", "team", "company", "business_unit", "buying_influence", "buying_influence_concept",
    "response_mode",
]  # fmt: skip


def company_list(*, user):
    """Companies `user` may see, with what the list shows."""
    return Company.objects.visible_to(user).select_related("owner", "team", "status", "sector", "segment")


# What a row of the companies list shows (contacts/company_list.html); the rest of the record
# (addresses, notes, search text…) stays in the database. A column that reads another field
# would cost a query per row: the pinned query counts of the list tests catch that.
# The status, sector and owner are named from the kept lookup tables (crm.lookup_cache.labels),
# not joined: a row is one record instead of four.
COMPANY_ROW_FIELDS = ["name", "email_domain", "custom_fields", "status", "sector", "owner"]


def company_rows(queryset):
    """`queryset` (companies of the list) with only what a list row shows."""
    return queryset.select_related(None).only(*COMPANY_ROW_FIELDS)


def company_card(*, user):
    return Company.objects.visible_to(user).select_related(*COMPANY_LOOKUPS).prefetch_related("categories")


def people_of_company(*, user, company: Company) -> Capped:
    return capped(Person.objects.visible_to(user).filter(company=company).select_related("owner"))


def person_list(*, user):
    return Person.objects.visible_to(user).select_related("owner", "company")


def person_card(*, user):
    return Person.objects.visible_to(user).select_related(*PERSON_LOOKUPS)


def company_quick_form(*, company: Company, user, data=None):
    from contacts.forms import CompanyQuickForm

    return CompanyQuickForm(data, instance=company, user=user)
