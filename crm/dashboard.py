"""The dashboard's figures; part of the composition root, so it may read every app."""

from contacts.models import Company


def dashboard_figures(*, user) -> dict[str, int]:
    companies = Company.objects.visible_to(user)
    return {
        "companies_visible": companies.count(),
        "companies_owned": companies.filter(owner=user).count(),
        "companies_unassigned": companies.filter(owner__isnull=True).count(),
    }
