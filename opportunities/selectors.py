from opportunities.models import Deal


def deal_list(*, user):
    return Deal.objects.visible_to(user).select_related("pipeline", "stage", "company", "owner")


# What a row of the deals list shows (opportunities/deal_list.html); a column that reads another
# field would cost a query per row, which the pinned query counts catch.
# The pipeline, stage and owner are named from the kept lookup tables (crm.lookup_cache), not
# joined: a row is two records (the deal, its company) instead of five.
DEAL_ROW_FIELDS = [
    "name", "value", "currency", "expected_close_date", "company__name", "pipeline", "stage", "owner",
    "closed_on",  # a won or lost deal needs no next step (the next-step column)
]  # fmt: skip


def deal_rows(queryset):
    """`queryset` (deals of the list) with only what a list row shows."""
    return queryset.select_related(None).select_related("company").only(*DEAL_ROW_FIELDS)


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
