"""The dashboard's figures; part of the composition root, so it may read every app."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils import timezone

from contacts.models import Company
from leads.models import Lead
from opportunities.models import Deal, Stage, weighted_value_expression


def _quarter_bounds(today):
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = today.replace(month=first_month, day=1)
    end = (start.replace(month=first_month + 2, day=28) + timezone.timedelta(days=4)).replace(day=1)
    return start, end - timezone.timedelta(days=1)


def dashboard_figures(*, user) -> dict:
    """What `user` has on their plate: companies, open leads, and this quarter's deals by currency."""
    companies = Company.objects.visible_to(user)
    start, end = _quarter_bounds(timezone.localdate())
    open_this_quarter = Q(stage__kind=Stage.Kind.OPEN, expected_close_date__range=(start, end))
    won_this_quarter = Q(stage__kind=Stage.Kind.WON, closed_on__range=(start, end))
    deals = (
        Deal.objects.visible_to(user)
        .filter(owner=user)
        .filter(open_this_quarter | won_this_quarter)
        .values("currency")
        .annotate(
            open_count=Count("pk", filter=open_this_quarter),
            projected=Sum("value", filter=open_this_quarter),
            weighted=Sum(weighted_value_expression(), filter=open_this_quarter),
            won=Sum("value", filter=won_this_quarter),
        )
        .order_by("currency")
    )
    return {
        "companies_visible": companies.count(),
        "companies_owned": companies.filter(owner=user).count(),
        "companies_unassigned": companies.filter(owner__isnull=True).count(),
        "open_leads": Lead.objects.visible_to(user).filter(owner=user, status__in=Lead.OPEN_STATUSES).count(),
        "quarter": (start, end),
        "deals_by_currency": list(deals),
    }
