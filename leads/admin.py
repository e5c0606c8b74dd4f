from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from contacts.admin import LookupAdmin
from crm.admin import BigTableAdminMixin, ExactTextListFilter, VersionedAdminMixin
from leads.models import Lead, LeadSource

admin.site.register(LeadSource, LookupAdmin)


@admin.register(Lead)
class LeadAdmin(BigTableAdminMixin, VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "company_name",
        "email",
        "source",
        "status",
        "score",
        "grade",
        "owner",
        "created_at",
    ]
    # Grade is free text: typed in, not listed from every lead.
    list_filter = ["status", "source", "business_unit", ("grade", ExactTextListFilter), "team"]
    search_fields = ["first_name", "last_name", "company_name", "email"]
    list_select_related = ["source", "owner"]
    autocomplete_fields = ["owner", "converted_company", "converted_person", "converted_deal"]
    readonly_fields = ["version", "created_at", "updated_at", "converted_at", "converted_by"]
