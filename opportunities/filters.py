import django_filters
from django.utils.translation import gettext_lazy as _

from crm.filters import ConfigurableFilterSet
from opportunities.models import Deal, Pipeline, Stage


class DealFilter(ConfigurableFilterSet):
    list_name = "deals"
    custom_field_model = Deal
    configurable_fields = ["sector", "vertical", "business_unit"]
    default_fields = ["sector", "vertical"]
    pipeline = django_filters.ModelChoiceFilter(
        queryset=Pipeline.objects.filter(is_active=True), label=_("Pipeline")
    )
    stage = django_filters.ModelChoiceFilter(
        queryset=Stage.objects.select_related("pipeline"), label=_("Stage")
    )
    closing_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("Closing from")
    )
    closing_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("Closing until")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("expected_close_date", "close"),
            ("value", "value"),
            ("name", "name"),
            ("created_at", "created"),
        ),
        label=_("Sort"),
        empty_label=_("Close date"),
    )

    class Meta:
        model = Deal
        fields = ["q", "pipeline", "stage", "owner", "team"]
