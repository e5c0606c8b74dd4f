"""Admin: web forms are built on their own pages (their fields are validated and their snippets
shown there) and submissions come only through the public form, whose service runs the form's
actions. Here administrators look them up, read only."""

from django.contrib import admin

from crm.admin import BigTableAdminMixin, ReadOnlyAdmin
from marketing.webforms.models import PagePattern, PageVisit, Submission, WebForm


@admin.register(WebForm)
class WebFormAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "is_active", "campaign", "owner"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    list_select_related = ["campaign", "owner"]


@admin.register(Submission)
class SubmissionAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["submitted_at", "form", "email", "last_name", "company_name", "lead", "created_lead"]
    list_filter = ["created_lead"]
    search_fields = ["email", "last_name"]
    list_select_related = ["form", "lead"]


@admin.register(PagePattern)
class PagePatternAdmin(ReadOnlyAdmin):
    list_display = ["pattern", "points", "excluded"]


@admin.register(PageVisit)
class PageVisitAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ["visited_at", "url", "points", "person", "lead"]
    search_fields = ["url"]
    list_select_related = ["person", "lead"]
