from opportunities.models import Deal


def deal_list(*, user):
    return Deal.objects.visible_to(user).select_related("pipeline", "stage", "company", "owner")


def deal_card(*, user):
    return Deal.objects.visible_to(user).select_related(
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
