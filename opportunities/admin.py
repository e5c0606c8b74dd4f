from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from crm.admin import (
    BigTableAdminMixin,
    FixedQueriesInlineMixin,
    LookupAdmin,
    ServiceAdminForm,
    ServiceAdminMixin,
    ServiceRefused,
)
from opportunities import pipeline as gates
from opportunities import services
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


class DealAdminForm(ServiceAdminForm):
    """A deal in admin: the stage chosen must be of the pipeline chosen. The gates run once, in
    the service that saves (DealAdmin.update_record); what they refuse comes back on this form."""

    def clean(self):
        cleaned = super().clean()
        pipeline, stage = cleaned.get("pipeline"), cleaned.get("stage")
        # A pipeline changed alone keeps the old stage in the form: the deal then enters the new
        # pipeline at its first stage. A stage chosen, or a new deal, must match the pipeline.
        chose_stage = self.instance.pk is None or "stage" in self.changed_data
        if pipeline and stage and chose_stage and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("Choose a stage of the pipeline %(name)s.") % {"name": pipeline.name})
        return cleaned


def _through_gates(service, **kwargs):
    try:
        return service(**kwargs)
    except gates.StageGateError as error:
        raise ValidationError([item.message for item in error.missing]) from error


@admin.register(Deal)
class DealAdmin(BigTableAdminMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    form = DealAdminForm
    service_fields = services.DEAL_FIELDS | {"pipeline", "stage"}
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

    def create_record(self, request, form):
        values = self.service_values(form)
        pipeline, stage = values.pop("pipeline"), values.pop("stage")
        return _through_gates(
            services.deal_create, actor=request.user, pipeline=pipeline, stage=stage, values=values
        )

    def update_record(self, request, record, form, changes, expected_version):
        pipeline, stage = changes.pop("pipeline", record.pipeline), changes.pop("stage", None)
        if pipeline.pk != record.pipeline_id:
            if stage is None:
                stage = pipeline.stages.order_by("position").first()
            if stage is None:
                message = _("%(name)s has no stages yet.") % {"name": pipeline.name}
                raise ValidationError({"pipeline": message})
            if changes:
                record = _through_gates(
                    services.deal_update,
                    actor=request.user,
                    deal=record,
                    changes=changes,
                    expected_version=expected_version,
                )
            return _through_gates(
                services.deal_change_pipeline,
                actor=request.user,
                deal=record,
                stage=stage,
                expected_version=record.version if changes else expected_version,
            )
        if stage is not None and stage.pk != record.stage_id:
            return _through_gates(
                services.deal_move_stage,
                actor=request.user,
                deal=record,
                stage=stage,
                expected_version=expected_version,
                changes=changes,
            )
        return _through_gates(
            services.deal_update,
            actor=request.user,
            deal=record,
            changes=changes,
            expected_version=expected_version,
        )

    def delete_record(self, request, record):
        services.deal_delete(actor=request.user, deal=record)

    def save_formset(self, request, form, formset, change):
        if formset.model is not DealContact:
            return super().save_formset(request, form, formset, change)
        rows = formset.save(commit=False)
        changed = {row.pk: fields for row, fields in formset.changed_objects}
        try:
            for row in formset.deleted_objects:
                services.deal_contact_remove(actor=request.user, deal_contact=row)
            for row in rows:
                if row.pk is not None and "person" in changed.get(row.pk, ()):
                    # Another person on the same line: the first leaves the deal, the second joins.
                    stored = DealContact.objects.get(pk=row.pk)
                    services.deal_contact_remove(actor=request.user, deal_contact=stored)
                services.deal_contact_add(
                    actor=request.user, deal=form.instance, person=row.person, role=row.role
                )
        except ValidationError as error:
            raise ServiceRefused(error) from error
