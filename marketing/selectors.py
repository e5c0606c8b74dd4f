"""Reads of marketing's core: plans and campaigns as a user sees them, and a campaign's results
(seed 004: "a campaign's success is measured by the leads it brings")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from activities.models import Activity
from crm import access
from leads.models import Lead
from marketing.models import Attribution, Campaign, CampaignTask, MarketingPlan, ScoreEvent
from opportunities.models import Deal, Stage

TASKS_SHOWN = 20
PLAN_CAMPAIGNS_SHOWN = 50


def plan_list(*, user) -> models.QuerySet:
    return access.visible_to(MarketingPlan.objects.all(), user).select_related("owner")


def campaign_list(*, user) -> models.QuerySet:
    return access.visible_to(Campaign.objects.all(), user).select_related("plan", "owner")


def _first_touch_leads(campaign_ref) -> models.QuerySet:
    lead_type = ContentType.objects.get_for_model(Lead)
    return Attribution.objects.filter(
        campaign=campaign_ref, content_type=lead_type, touch=Attribution.Touch.FIRST
    )


def with_lead_counts(campaigns: models.QuerySet) -> models.QuerySet:
    """`campaigns` with `lead_count`: the leads each brought in (first touch), in one subquery."""
    counted = (
        _first_touch_leads(OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return campaigns.annotate(lead_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))


@dataclass(frozen=True)
class CampaignResults:
    leads: int
    converted_leads: int
    deals: int
    won_deals: int
    won_value: Decimal
    cost: Decimal
    budget: Decimal
    target_leads: int
    target_revenue: Decimal

    @property
    def cost_per_lead(self) -> Decimal | None:
        """The actual cost of each lead brought in; None without leads."""
        return (self.cost / self.leads).quantize(Decimal("0.01")) if self.leads else None

    @property
    def roi(self) -> Decimal | None:
        """(won value − actual cost) / actual cost, as a percentage; None without a cost."""
        if not self.cost:
            return None
        return ((self.won_value - self.cost) / self.cost * 100).quantize(Decimal("0.1"))

    @property
    def conversion_rate(self) -> Decimal | None:
        return (
            (Decimal(self.converted_leads) * 100 / self.leads).quantize(Decimal("0.1"))
            if self.leads
            else None
        )

    @property
    def leads_progress(self) -> int | None:
        return _percent(self.leads, self.target_leads)

    @property
    def revenue_progress(self) -> int | None:
        return _percent(self.won_value, self.target_revenue)

    @property
    def budget_used(self) -> int | None:
        return _percent(self.cost, self.budget)


def _percent(value, target) -> int | None:
    return int(Decimal(value) * 100 / Decimal(target)) if target else None


def campaign_results(campaign: Campaign) -> CampaignResults:
    """The campaign's leads (first touch), how many were converted, the deals attributed to it
    (either touch) and the value of the won ones — two aggregate queries, whatever the volume.
    Counts and sums cover every record: they name none, so they are no one's secret."""
    lead_ids = _first_touch_leads(campaign).values("object_id")
    leads = Lead.objects.filter(pk__in=lead_ids).aggregate(
        total=Count("pk"), converted=Count("pk", filter=Q(status=Lead.Status.CONVERTED))
    )
    deal_ids = Attribution.objects.filter(
        campaign=campaign, content_type=ContentType.objects.get_for_model(Deal)
    ).values("object_id")
    won = Q(stage__kind=Stage.Kind.WON)
    deals = Deal.objects.filter(pk__in=deal_ids).aggregate(
        total=Count("pk"), won=Count("pk", filter=won), won_value=Sum("value", filter=won)
    )
    return CampaignResults(
        leads=leads["total"],
        converted_leads=leads["converted"],
        deals=deals["total"],
        won_deals=deals["won"],
        won_value=deals["won_value"] or Decimal(0),
        cost=campaign.actual_cost,
        budget=campaign.budget,
        target_leads=campaign.target_leads,
        target_revenue=campaign.target_revenue,
    )


def campaign_tasks(*, user, campaign: Campaign) -> list[Activity]:
    """The campaign's open to-dos first, then the rest, as far as `user` may see them (capped)."""
    ids = CampaignTask.objects.filter(campaign=campaign).values("activity")
    return list(
        Activity.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("owner")
        .order_by(models.Case(models.When(status=Activity.Status.OPEN, then=0), default=1), "due_at", "pk")[
            :TASKS_SHOWN
        ]
    )


@dataclass(frozen=True)
class PlanTotals:
    campaigns: int
    budget: Decimal
    actual_cost: Decimal
    target_leads: int
    target_revenue: Decimal
    leads: int


def plan_totals(plan: MarketingPlan) -> PlanTotals:
    """The sums over every campaign of the plan, against which the plan's own budget and targets
    are shown."""
    campaigns = Campaign.objects.filter(plan=plan)
    sums = campaigns.aggregate(
        count=Count("pk"),
        budget=Sum("budget"),
        cost=Sum("actual_cost"),
        target_leads=Sum("target_leads"),
        target_revenue=Sum("target_revenue"),
    )
    lead_type = ContentType.objects.get_for_model(Lead)
    leads = Attribution.objects.filter(
        campaign__plan=plan, content_type=lead_type, touch=Attribution.Touch.FIRST
    ).count()
    return PlanTotals(
        campaigns=sums["count"],
        budget=sums["budget"] or Decimal(0),
        actual_cost=sums["cost"] or Decimal(0),
        target_leads=sums["target_leads"] or 0,
        target_revenue=sums["target_revenue"] or Decimal(0),
        leads=leads,
    )


def plan_campaigns(*, user, plan: MarketingPlan) -> list[Campaign]:
    return list(with_lead_counts(campaign_list(user=user).filter(plan=plan))[:PLAN_CAMPAIGNS_SHOWN])


# -- Card panels ---------------------------------------------------------------------------------

SCORE_EVENTS_SHOWN = 5


def score_events(*, user, **subject) -> list[ScoreEvent]:
    """The latest scored events of a person or a lead (`person=` / `lead=`); the campaign of an
    event is left out where `user` may not see that campaign."""
    events = list(
        ScoreEvent.objects.filter(**subject)
        .select_related("campaign")
        .order_by("-occurred_at", "-pk")[:SCORE_EVENTS_SHOWN]
    )
    named = {event.campaign_id for event in events if event.campaign_id}
    if named:
        visible = set(
            access.visible_to(Campaign.objects.filter(pk__in=named), user).values_list("pk", flat=True)
        )
        for event in events:
            if event.campaign_id not in visible:
                event.campaign = None
    return events


def campaign_history(record: models.Model, *, user) -> list[Attribution]:
    """The record's attributions (first touch, converting) to campaigns `user` may see."""
    content_type = ContentType.objects.get_for_model(record)
    return list(
        Attribution.objects.filter(
            content_type=content_type,
            object_id=record.pk,
            campaign__in=access.visible_to(Campaign.objects.all(), user).values("pk"),
        )
        .select_related("campaign")
        .order_by("touch")
    )


CAMPAIGN_CHOICES_SHOWN = 100


def campaign_choices(*, user) -> list[Campaign]:
    """The campaigns a panel offers to attribute a record to: planned and active ones first."""
    return list(
        access.visible_to(Campaign.objects.all(), user)
        .filter(status__in=[Campaign.Status.PLANNED, Campaign.Status.ACTIVE, Campaign.Status.COMPLETED])
        .only("pk", "name", "status")
        .order_by("status", "name", "pk")[:CAMPAIGN_CHOICES_SHOWN]
    )
