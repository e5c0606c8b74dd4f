from leads.models import Lead


def lead_list(*, user):
    return Lead.objects.visible_to(user).select_related("owner", "source")


def lead_card(*, user):
    return Lead.objects.visible_to(user).select_related(
        "owner",
        "team",
        "source",
        "business_unit",
        "converted_company",
        "converted_person",
        "converted_deal",
        "converted_by",
    )
