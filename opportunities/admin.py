from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contacts.admin import LookupAdmin
from crm.admin import BigTableAdminMixin, FixedQueriesInlineMixin, VersionedAdminMixin
from opportunities import pipeline as gates
from opportunities.models import Deal, DealContact, Pipeline, Stage, StageCriterion, Vertical, VolumeUnit

admin.site.register(VolumeUnit, LookupAdmin)


@admin.register(Vertical)
class VerticalAdmin(LookupAdmin):
    """The verticals, and which of them the company prioritises (the journey's Identify gate)."""

    list_display = ["name", "position", "is_prioritised", "is_active"]
    list_editable = ["position", "is_prioritised", "is_active"]
    list_filter = ["is_prioritised", "is_active"]


class StageInline(FixedQueriesInlineMixin, admin.TabularInline):
    model = Stage
    extra = 0
    inline_select_related = ("pipeline",)  # a stage's name says its pipeline's
    fields = [
        "position",
        "name",
        "kind",
        "default_probability",
        "required_fields",
        "name_rule",
        "name_rule_explanation",
    ]
    show_change_link = True


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "sms_enabled"]
    list_editable = ["position", "is_active", "sms_enabled"]
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active", "sms_enabled")}),
        # Seed 001, "Definition": fixed labels instead of free text.
        (_("Fixed labels"), {"fields": ("deal_names", "probabilities")}),
    )
    inlines = [StageInline]


class StageCriterionInline(FixedQueriesInlineMixin, admin.TabularInline):
    model = StageCriterion
    extra = 1


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "position", "kind", "default_probability"]
    list_filter = ["pipeline", "kind"]
    inlines = [StageCriterionInline]


class DealContactInline(FixedQueriesInlineMixin, admin.TabularInline):
    model = DealContact
    extra = 0
    autocomplete_fields = ["person"]
    inline_select_related = ("person", "role")


class StageListFilter(admin.RelatedFieldListFilter):
    """The stages with their pipelines' names (a stage's name says its pipeline's) in one query."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin) or Stage._meta.ordering
        stages = Stage.objects.select_related("pipeline").order_by(*ordering)
        return [(stage.pk, str(stage)) for stage in stages]


class DealAdminForm(forms.ModelForm):
    """A stage changed in admin passes the same gate as everywhere else. (Admin builds the
    form's Meta from DealAdmin.)"""

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if stage is None or (self.instance.pk and stage.pk == self.instance.stage_id):
            return cleaned
        if stage.pipeline_id != (cleaned.get("pipeline") or self.instance.pipeline).pk:
            raise forms.ValidationError(_("Choose a stage of the deal's own pipeline."))
        deal = self.instance
        for name, value in cleaned.items():
            if name not in {"stage", "colleagues", "confirmed_criteria"} and hasattr(deal, name):
                setattr(deal, name, value)
        if deal.pk is None:
            deal.stage = stage.pipeline.stages.order_by("position").first()
        missing = gates.missing_for_move(deal, stage)
        if missing:
            raise forms.ValidationError([item.message for item in missing])
        return cleaned


@admin.register(Deal)
class DealAdmin(BigTableAdminMixin, VersionedAdminMixin, SimpleHistoryAdmin):
    form = DealAdminForm
    list_display = [
        "name",
        "pipeline",
        "stage",
        "company",
        "value",
        "currency",
        "expected_close_date",
        "owner",
    ]
    list_filter = ["pipeline", ("stage", StageListFilter), "sector", "vertical", "team"]
    search_fields = ["name", "company__name"]
    list_select_related = ["pipeline", "stage__pipeline", "company", "owner"]
    autocomplete_fields = ["company", "primary_contact", "owner"]
    filter_horizontal = ["colleagues"]
    inlines = [DealContactInline]
    readonly_fields = ["version", "created_at", "updated_at", "closed_on"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "stage":
            kwargs.setdefault("queryset", Stage.objects.select_related("pipeline"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
