from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from crm.admin import BigTableAdminMixin, ExactTextListFilter, LookupAdmin, ServiceAdminMixin
from leads import services
from leads.models import Lead, LeadSource

admin.site.register(LeadSource, LookupAdmin)


@admin.register(Lead)
class LeadAdmin(BigTableAdminMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    # What a conversion made of the lead is set by lead_convert alone, so it is read-only here.
    service_fields = services.LEAD_FIELDS
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
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "version",
        "created_at",
        "updated_at",
        "converted_company",
        "converted_person",
        "converted_deal",
        "converted_at",
        "converted_by",
    ]

    def create_record(self, request, form):
        return services.lead_create(actor=request.user, values=self.service_values(form))

    def update_record(self, request, record, form, changes, expected_version):
        return services.lead_update(
            actor=request.user, lead=record, changes=changes, expected_version=expected_version
        )

    def delete_record(self, request, record):
        services.lead_delete(actor=request.user, lead=record)
