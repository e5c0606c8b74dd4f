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
