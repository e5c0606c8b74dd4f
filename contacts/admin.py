from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contacts import required_fields
from contacts.models import (
    BusinessUnit,
    BuyingInfluence,
    BuyingInfluenceConcept,
    Company,
    CompanyCategory,
    CompanyStatus,
    ContactType,
    Document,
    LifeCycle,
    Market,
    Person,
    RequiredField,
    ResponseMode,
    SearchField,
    Sector,
    Segment,
)
from crm.admin import BigTableAdminMixin, VersionedAdminMixin


class LookupAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


for lookup in (
    ContactType, BusinessUnit, Market, LifeCycle, Sector, Segment, CompanyCategory, CompanyStatus,
    BuyingInfluence, BuyingInfluenceConcept, ResponseMode,
):  # fmt: skip
    admin.site.register(lookup, LookupAdmin)


@admin.register(Company)
class CompanyAdmin(BigTableAdminMixin, VersionedAdminMixin, SimpleHistoryAdmin):
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


@admin.register(Person)
class PersonAdmin(BigTableAdminMixin, VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "email", "company", "title", "owner", "consent_email", "last_touched_at"]
    list_filter = ["business_unit", "buying_influence", "consent_email", "consent_phone", "team"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["company", "owner"]
    autocomplete_fields = ["company", "owner"]
    readonly_fields = ["version", "created_at", "updated_at", "consent_updated_at"]


@admin.register(Document)
class DocumentAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["name", "content_type", "object_id", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["content_type", "mime_type"]
    search_fields = ["name"]
    list_select_related = ["content_type", "uploaded_by"]
    readonly_fields = ["content_type", "object_id", "file", "mime_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(SearchField)
class SearchFieldAdmin(admin.ModelAdmin):
    list_display = ["list_name", "field_name", "mode", "position"]
    list_editable = ["mode", "position"]
    list_filter = ["list_name"]


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
