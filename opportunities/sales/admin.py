"""Admin for products, document templates, sales targets, and read-only quotes and orders."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm.admin import BigTableAdminMixin, FixedQueriesInlineMixin, ServiceAdminMixin
from crm.exceptions import StaleRecordError
from opportunities.sales import services as sales
from opportunities.sales.models import (
    DocumentTemplate,
    Product,
    ProductCategory,
    Quote,
    QuoteLine,
    SalesOrder,
    SalesOrderLine,
    SalesTarget,
)


class ProductInline(FixedQueriesInlineMixin, admin.TabularInline):
    model = Product
    extra = 0
    fields = ["name", "code", "unit_price", "currency", "is_active"]


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    inlines = [ProductInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "category", "unit_price", "currency", "is_active"]
    list_filter = ["category", "is_active", "currency"]
    list_select_related = ["category"]
    search_fields = ["name", "code"]


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_default"]
    list_filter = ["kind"]


@admin.register(SalesTarget)
class SalesTargetAdmin(admin.ModelAdmin):
    list_display = ["period_start", "period_type", "user", "team", "amount", "currency"]
    list_filter = ["period_type", "team", "period_start"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user"]
    date_hierarchy = "period_start"


class ReadOnlyLineInline(FixedQueriesInlineMixin, admin.TabularInline):
    extra = 0
    inline_select_related = ("product",)
    can_delete = False
    fields = ["position", "product", "description", "quantity", "unit_price", "discount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class QuoteLineInline(ReadOnlyLineInline):
    model = QuoteLine


class SalesOrderLineInline(ReadOnlyLineInline):
    model = SalesOrderLine


# Quotes and orders are made by the services from a deal; admin only looks and sets a quote's
# status, through the same service as the deal card (transitions, one accepted quote, audit row).
@admin.register(Quote)
class QuoteAdmin(ServiceAdminMixin, BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["number", "deal", "version", "status", "total", "currency", "created_at"]
    list_filter = ["status"]
    list_select_related = ["deal"]
    search_fields = ["number", "deal__name"]
    readonly_fields = [
        "number",
        "deal",
        "version",
        "currency",
        "total",
        "document",
        "created_by",
        "created_at",
    ]
    exclude = ["html"]
    inlines = [QuoteLineInline]
    service_fields = frozenset({"status"})

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # what was offered stays on record; a new version replaces a quote

    def update_record(self, request, record, form, changes, expected_version):
        try:
            return sales.quote_set_status(
                actor=request.user,
                quote=record,
                status=changes["status"],
                expected_status=form.initial.get("status"),
            )
        except StaleRecordError as stale:
            raise ValidationError(
                _("Someone else marked this quote %(status)s meanwhile. Reload the page.")
                % {"status": stale.current.get_status_display().lower()}
            ) from stale


@admin.register(SalesOrder)
class SalesOrderAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["number", "deal", "total", "currency", "created_at"]
    list_select_related = ["deal"]
    search_fields = ["number", "deal__name"]
    readonly_fields = ["number", "deal", "currency", "total", "document", "created_by", "created_at"]
    exclude = ["html"]
    inlines = [SalesOrderLineInline]

    def has_add_permission(self, request):
        return False
