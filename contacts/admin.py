from django.contrib import admin

from contacts.models import Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "email_domain", "owner", "team", "updated_at"]
    list_filter = ["team", "owner"]
    search_fields = ["name", "email_domain"]
    list_select_related = ["owner", "team"]
    autocomplete_fields = []
