"""The knowledge base's reads, each starting from what the user may see."""

from __future__ import annotations

from django.db import models

from support.knowledge import search
from support.knowledge.models import Article, Category

INSERT_RESULTS = 8


def article_list(*, user) -> models.QuerySet[Article]:
    """The articles `user` may read, with what a list row shows."""
    return (
        Article.objects.visible_to(user)
        .select_related("category", "owner")
        .defer("body", "search_title", "search_body", "search_vector")
        .order_by("title", "pk")
    )


def article_for_insert(*, user, term: str) -> list[Article]:
    """The published articles `user` may read that match `term`, best first, for the ticket
    reply's "insert answer" box (no drafts: an answer sent to a customer must be approved)."""
    found = search.ranked(Article.objects.visible_to(user).published().select_related("category"), term)
    if found is None:
        return []
    return list(found.defer("search_title", "search_body", "search_vector")[:INSERT_RESULTS])


def article_history(article: Article, limit: int = 10) -> list:
    """The latest changes of `article`, newest first (its history rows, with who made them)."""
    return list(
        article.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]
    )


def category_tree() -> list[Category]:
    """Every category, those inside another right after it (`depth` set on each)."""
    categories = list(Category.objects.order_by("position", "name"))
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered: list[Category] = []

    def walk(parent_id, depth):
        for category in children.get(parent_id, []):
            if category in ordered:
                continue
            category.depth = depth
            ordered.append(category)
            walk(category.pk, depth + 1)

    walk(None, 0)
    return ordered
