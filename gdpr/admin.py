from django import forms
from django.contrib import admin

from gdpr import registry, services
from gdpr.models import GdprEvent, GdprSettings


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
