from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from gdpr import registry, services
from gdpr.models import ErasureRequest, GdprEvent, GdprSettings, RetentionOverride


class GdprSettingsForm(forms.ModelForm):
    anonymised_fields = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = GdprSettings
        fields = ["anonymised_fields", "retention_months", "heads_up_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anonymised_fields"].choices = registry.field_choices()


@admin.register(GdprSettings)
class GdprSettingsAdmin(admin.ModelAdmin):
    form = GdprSettingsForm

    def has_add_permission(self, request):
        return not GdprSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: validated against the registry, audited.
        services.settings_update(
            actor=request.user,
            anonymised_fields=form.cleaned_data["anonymised_fields"],
            retention_months=form.cleaned_data["retention_months"],
            heads_up_days=form.cleaned_data["heads_up_days"],
        )


@admin.register(GdprEvent)
class GdprEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "content_type", "object_id", "fields"]
    list_filter = ["action"]
    list_select_related = ["actor", "content_type"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RetentionOverrideForm(forms.ModelForm):
    unit = forms.ChoiceField(label=_("business unit"))

    class Meta:
        model = RetentionOverride
        fields = ["months"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = services.unit_choices()
        if self.instance.pk:
            self.initial["unit"] = f"{self.instance.content_type_id}:{self.instance.object_id}"

    def clean_unit(self):
        content_type_id, _colon, object_id = self.cleaned_data["unit"].partition(":")
        model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        unit = model._base_manager.filter(pk=int(object_id)).first() if model else None
        if unit is None:
            raise forms.ValidationError(_("Choose a business unit."))
        return unit


@admin.register(RetentionOverride)
class RetentionOverrideAdmin(admin.ModelAdmin):
    """A business unit's own retention period (the global one is in the GDPR settings)."""

    form = RetentionOverrideForm
    list_display = ["__str__", "months"]

    def save_model(self, request, obj, form, change):
        unit = form.cleaned_data["unit"]
        if change and (obj.content_type_id, obj.object_id) != (
            ContentType.objects.get_for_model(type(unit)).pk,
            unit.pk,
        ):
            old = obj.unit
            if old is not None:
                services.retention_override_set(actor=request.user, unit=old, months=None)
        saved = services.retention_override_set(
            actor=request.user, unit=unit, months=form.cleaned_data["months"]
        )
        obj.pk, obj.content_type_id, obj.object_id = saved.pk, saved.content_type_id, saved.object_id

    def delete_model(self, request, obj):
        unit = obj.unit
        if unit is not None:
            services.retention_override_set(actor=request.user, unit=unit, months=None)
        else:
            obj.delete()


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    """Read-only: requests are recorded and decided on the GDPR pages (gdpr.erasure)."""

    list_display = ["pk", "content_type", "object_id", "channel", "received_on", "due_on", "status"]
    list_filter = ["status", "channel"]
    list_select_related = ["content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
