from django.db.models import F

from crm import linked, list_rows
from opportunities.models import Deal


def deal_list(*, user):
    return Deal.objects.visible_to(user).select_related("pipeline", "stage", "company", "owner")


# What a row of the deals list shows (opportunities/templatetags/deal_rows.py); a column that
# reads another field must be added here (a ListRow has nothing else).
# The pipeline, stage and owner are named from the kept lookup tables (crm.lookup_cache), not
# joined: a row is a deal and its company's name.
DEAL_ROW_FIELDS = [
    "name", "value", "currency", "expected_close_date", "company_id", "pipeline_id", "stage_id",
    "owner_id", "closed_on",  # a won or lost deal needs no next step (the next-step column)
]  # fmt: skip


def deal_rows_by_id(user, ids: list[int]) -> dict:
    """{id: ListRow} of the deals list's page `ids` (ids that came from deal_list(user=user)),
    with `company_name` and `company_visible` (crm.linked: whether `user` may see the company)."""

    def page_rows(ids_of_page):
        deals = Deal.objects.filter(pk__in=ids_of_page).values(
            "pk", *DEAL_ROW_FIELDS, company_name=F("company__name")
        )
        return linked.annotate_visible(deals, user, "company")

    # The company's visibility flag depends on who asks: compiled once per user and role.
    key = ("deal-list-rows", user.pk, user.role)
    return list_rows.rows_by_id(key, page_rows, ids, detail_url="opportunities:deal_detail")


def deal_card(*, user):
    """The deal card's deal, with `weighted` (the one weighted-value rule of the board and reports)."""
    return Deal.objects.visible_to(user).with_weighted_value().select_related(
        "pipeline", "stage", "company", "primary_contact", "owner", "team", "sector", "vertical",
        "business_unit", "volume_unit",
    )  # fmt: skip


def deals_of_company(*, user, company, limit: int = 50):
    return (
        Deal.objects.visible_to(user)
        .filter(company=company)
        .select_related("stage", "owner")
        .order_by("stage__kind", "expected_close_date")[:limit]
    )
