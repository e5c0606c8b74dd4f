"""Admin: articles and categories are written on the knowledge base's own pages (support/kb/),
whose services keep the rules (search words, publishing date, audit rows, votes counted once).
Here administrators look them up, read only."""

from django.contrib import admin

from crm.admin import BigTableAdminMixin, ReadOnlyAdmin
from support.knowledge.models import Article, Category


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "parent", "position"]
    search_fields = ["name"]
    list_select_related = ["parent"]


@admin.register(Article)
class ArticleAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = [
        "title",
        "category",
        "status",
        "audience",
        "owner",
        "helpful_yes",
        "helpful_no",
        "updated_at",
    ]
    list_filter = ["status", "audience"]
    search_fields = ["title"]
    list_select_related = ["category", "owner"]
