"""Admin: plans, campaigns, segments, scores and attributions are made on marketing's own pages,
whose services keep the rules (saving the grades regrades everyone, changed points apply to
future events only, a campaign's attributions are kept by marketing.attribution). Here
administrators look them up, read only."""

from django.contrib import admin

from crm.admin import BigTableAdminMixin, ReadOnlyAdmin
from marketing.models import (
    Attribution,
    Campaign,
    CampaignTask,
    Grade,
    MarketingPlan,
    PersonScore,
    ScoreEvent,
    ScoreRule,
    Segment,
)


@admin.register(MarketingPlan)
class MarketingPlanAdmin(ReadOnlyAdmin):
    list_display = ["name", "starts_on", "ends_on", "budget", "target_leads", "target_revenue", "owner"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"
    list_select_related = ["owner"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "status", "plan", "starts_on", "budget", "actual_cost", "owner"]
    list_filter = ["kind", "status"]
    search_fields = ["name"]
    list_select_related = ["plan", "owner"]


@admin.register(Segment)
class SegmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "target", "owner"]
    list_filter = ["target"]
    search_fields = ["name"]
    list_select_related = ["owner"]


@admin.register(ScoreRule)
class ScoreRuleAdmin(ReadOnlyAdmin):
    list_display = ["kind", "points"]


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ["label", "min_score"]


@admin.register(ScoreEvent)
class ScoreEventAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "points", "person", "lead", "campaign", "detail"]
    list_filter = ["kind"]
    list_select_related = ["person", "lead", "campaign"]


@admin.register(PersonScore)
class PersonScoreAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["person", "score", "grade", "updated_at"]
    search_fields = ["person__last_name", "person__email"]
    list_select_related = ["person"]


@admin.register(Attribution)
class AttributionAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "touch", "content_type", "object_id"]
    list_filter = ["touch", "content_type"]
    list_select_related = ["campaign", "content_type"]


@admin.register(CampaignTask)
class CampaignTaskAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "activity"]
    list_select_related = ["campaign", "activity"]
