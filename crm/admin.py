from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from crm.models import AuditEvent, CustomFieldDefinition, OrganisationSettings, OutboundEmail, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "role_name", "is_active"]
    list_filter = ["groups", "is_active", "teams"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role"), {"fields": ("is_active", "groups", "is_superuser", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description=_("role"))
    def role_name(self, user):
        return user.role.label


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members", "managers"]


@admin.register(OrganisationSettings)
class OrganisationSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "reps_see_only_own_customers", "default_currency"]

    def has_add_permission(self, request):
        return not OrganisationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "verb", "content_type", "object_repr"]
    list_filter = ["verb", "content_type"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject"]
    readonly_fields = ["recipients", "subject", "body_text", "body_html", "attempts", "last_error", "sent_at"]

    def has_add_permission(self, request):
        return False


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "target",
        "key",
        "field_type",
        "required",
        "show_in_list",
        "filterable",
        "is_active",
    ]
    list_filter = ["target", "field_type", "is_active"]
    list_editable = ["show_in_list", "filterable", "is_active"]
    search_fields = ["label", "key"]


class VersionedAdminMixin:
    """Saves from admin bump the record's version and leave an audit row, like the services do,
    so that a user editing the same record in the app is told instead of overwriting it."""

    def save_model(self, request, obj, form, change):
        from crm.services import audit_record

        if change:
            obj.version = (obj.version or 0) + 1
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            verb="update in admin" if change else "create in admin",
            instance=obj,
            changes={name: form.cleaned_data.get(name) for name in form.changed_data},
        )
