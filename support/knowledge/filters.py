"""The article list's filter bar (django-filter): the search box ranks by relevance, then
category, status (writers only: others see published articles alone) and audience."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from support.knowledge import search
from support.knowledge.models import WRITE_PERMISSION, Article, Category

SELECT = forms.Select(attrs={"class": "form-select"})


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search_text",
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), label=_("Category"), empty_label=_("All"), method="in_category",
        widget=SELECT,
    )  # fmt: skip
    status = django_filters.ChoiceFilter(
        choices=Article.Status.choices, label=_("Status"), empty_label=_("All"), widget=SELECT
    )
    audience = django_filters.ChoiceFilter(
        choices=Article.Audience.choices, label=_("Audience"), empty_label=_("All"), widget=SELECT
    )

    class Meta:
        model = Article
        fields = ["q", "category", "status", "audience"]

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        if not user.has_perm(WRITE_PERMISSION):
            del self.filters["status"]  # they see published articles only

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            value not in ("", None) for key, value in self.data.items() if key != "page"
        )

    def search_text(self, queryset, name, value):
        found = search.ranked(queryset, value)
        return queryset if found is None else found

    def in_category(self, queryset, name, value):
        # A category holds the articles of the categories right inside it too.
        return queryset.filter(Q(category=value) | Q(category__parent=value))
