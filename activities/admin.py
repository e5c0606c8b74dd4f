from django.contrib import admin

from activities import services
from activities.models import Activity, ActivityType, MeetingCategory
from crm.admin import BigTableAdminMixin, LookupAdmin, ServiceAdminMixin

admin.site.register(ActivityType, LookupAdmin)


@admin.register(MeetingCategory)
class MeetingCategoryAdmin(LookupAdmin):
    list_display = [*LookupAdmin.list_display, "is_first_meeting"]
    list_editable = [*LookupAdmin.list_editable, "is_first_meeting"]


ACTIVITY_FIELDS = frozenset(
    {
        "kind", "activity_type", "meeting_category", "subject", "notes", "due_at", "all_day",
        "duration_minutes", "location", "owner", "team", "company", "person", "deal", "lead",
        "attendee_people", "attendee_users", "send_invites",
    }
)  # fmt: skip


@admin.register(Activity)
class ActivityAdmin(BigTableAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    service_fields = ACTIVITY_FIELDS
    list_display = ["subject", "kind", "status", "due_at", "owner"]
    list_filter = ["status", "kind", "activity_type", "meeting_category"]
    search_fields = ["subject"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "company", "person", "deal", "lead", "attendee_people", "attendee_users"]
    readonly_fields = ["status", "done_at", "outcome", "version", "created_at", "updated_at"]

    def _split(self, values: dict) -> tuple[dict, list, list]:
        people = values.pop("attendee_people", [])
        users = values.pop("attendee_users", [])
        return values, list(people), list(users)

    def create_record(self, request, form):
        values, people, users = self._split(self.service_values(form))
        return services.activity_create(
            actor=request.user, values=values, attendee_people=people, attendee_users=users
        )

    def update_record(self, request, record, form, changes, expected_version):
        changes = dict(changes)
        people = changes.pop("attendee_people", None)
        users = changes.pop("attendee_users", None)
        return services.activity_update(
            actor=request.user,
            activity=record,
            changes=changes,
            expected_version=expected_version,
            attendee_people=list(people) if people is not None else None,
            attendee_users=list(users) if users is not None else None,
        )

    def delete_record(self, request, record):
        services.activity_delete(actor=request.user, activity=record)


# Automation rules and e-mail templates: configured here by administrators (the rule's clean()
# refuses incomplete rules and rules that would loop).
from activities.models import AutomationRule, EmailTemplate, RuleFiring  # noqa: E402


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "action", "is_active"]
    list_filter = ["is_active", "trigger", "action"]
    list_editable = ["is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["action_user"]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        ("When", {"fields": ["trigger", "trigger_stage", "trigger_amount"]}),
        ("Only if", {"fields": ["condition_pipeline", "condition_stage", "condition_min_value"]}),
        (
            "Then",
            {
                "fields": [
                    "action", "action_user", "action_role", "action_address", "subject", "body",
                    "todo_assignee", "todo_type", "todo_due_days", "set_field", "set_value",
                ]
            },
        ),
    ]  # fmt: skip


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    """The log of firings: read only (a firing is the record that an event was handled)."""

    list_display = ["created_at", "rule", "event_key", "status", "finished_at"]
    list_filter = ["status", "rule"]
    search_fields = ["event_key"]
    list_select_related = ["rule"]
    readonly_fields = [field.name for field in RuleFiring._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name", "subject"]
