"""The filters of the plan and campaign lists (django-filter, like every list)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm import access
from marketing.models import Campaign, MarketingPlan


class CampaignFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(queryset=MarketingPlan.objects.none(), label=_("Plan"))
    kind = django_filters.ChoiceFilter(choices=Campaign.Kind.choices, label=_("Type"), empty_label=_("All"))
    status = django_filters.ChoiceFilter(
        choices=Campaign.Status.choices, label=_("Status"), empty_label=_("All")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("starts_on", "starts"), ("name", "name"), ("actual_cost", "cost")),
        label=_("Sort"),
        empty_label=_("Newest"),
    )

    class Meta:
        model = Campaign
        fields = ["q", "plan", "kind", "status"]

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["plan"].queryset = access.visible_to(MarketingPlan.objects.all(), user).only("name")


class PlanFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    active_on = django_filters.DateFilter(
        label=_("Running on"), method="running_on", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = MarketingPlan
        fields = ["q"]

    def running_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)
