from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contacts import required_fields, services
from contacts.models import (
    BusinessUnit,
    BuyingInfluence,
    BuyingInfluenceConcept,
    Company,
    CompanyCategory,
    CompanyStatus,
    ContactType,
    LifeCycle,
    Market,
    Person,
    RequiredField,
    ResponseMode,
    Sector,
    Segment,
)
from crm.admin import BigTableAdminMixin, LookupAdmin, ServiceAdminMixin

for lookup in (
    ContactType, BusinessUnit, Market, LifeCycle, Sector, Segment, CompanyCategory, CompanyStatus,
    BuyingInfluence, BuyingInfluenceConcept, ResponseMode,
):  # fmt: skip
    admin.site.register(lookup, LookupAdmin)


@admin.register(Company)
class CompanyAdmin(BigTableAdminMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    service_fields = services.COMPANY_FIELDS
    list_display = ["name", "status", "sector", "segment", "email_domain", "owner", "team", "updated_at"]
    list_filter = [
        "status",
        "sector",
        "segment",
        "market",
        "life_cycle",
        "contact_type",
        "categories",
        "team",
    ]
    search_fields = ["name", "email_domain"]
    list_select_related = ["owner", "team", "status", "sector", "segment"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["categories"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def create_record(self, request, form):
        return services.company_create(actor=request.user, values=self.service_values(form))

    def update_record(self, request, record, form, changes, expected_version):
        return services.company_update(
            actor=request.user, company=record, changes=changes, expected_version=expected_version
        )

    def delete_record(self, request, record):
        services.company_delete(actor=request.user, company=record)


@admin.register(Person)
class PersonAdmin(BigTableAdminMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    service_fields = services.PERSON_FIELDS
    list_display = ["__str__", "email", "company", "title", "owner", "consent_email", "last_touched_at"]
    list_filter = ["business_unit", "buying_influence", "consent_email", "consent_phone", "team"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["company", "owner"]
    autocomplete_fields = ["company", "owner"]
    readonly_fields = ["version", "created_at", "updated_at", "consent_updated_at"]

    def create_record(self, request, form):
        return services.person_create(actor=request.user, values=self.service_values(form))

    def update_record(self, request, record, form, changes, expected_version):
        return services.person_update(
            actor=request.user, person=record, changes=changes, expected_version=expected_version
        )

    def delete_record(self, request, record):
        services.person_delete(actor=request.user, person=record)


@admin.register(RequiredField)
class RequiredFieldAdmin(admin.ModelAdmin):
    """Seed 000's minimum information: untick a field to relax it, add a row to require another."""

    list_display = ["target", "field_name", "field_label", "is_required"]
    list_display_links = ["field_name"]
    list_editable = ["is_required"]
    list_filter = ["target", "is_required"]

    @admin.display(description=_("label"))
    def field_label(self, row: RequiredField) -> str:
        return required_fields.label_of(target=row.target, field_name=row.field_name)
