"""Reads of companies and people, always starting from what the user may see."""

from contacts.models import Company, Person
from crm import list_rows
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


# What a row of the companies list shows (contacts/templatetags/company_rows.py); a column that
# reads another field must be added here (a ListRow has nothing else). The status, sector and
# owner are named from the kept lookup tables (crm.lookup_cache.labels), not joined.
COMPANY_ROW_FIELDS = ["name", "email_domain", "custom_fields", "status_id", "sector_id", "owner_id"]


def company_rows_by_id(ids: list[int]) -> dict:
    """{id: ListRow} of the companies list's page `ids` (ids that came from company_list())."""
    return list_rows.rows_by_id(
        "company-list-rows",
        lambda ids_of_page: Company.objects.filter(pk__in=ids_of_page).values("pk", *COMPANY_ROW_FIELDS),
        ids,
        detail_url="contacts:company_detail",
    )


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
