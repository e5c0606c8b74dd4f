"""Knowledge-base articles for the access matrix and the growth test (tests/test_access_matrix.py's
`records`, tests/access_matrix.py's content_object_records and tests/test_page_growth.py's world
take them from here, as "article").

The matrix's articles are drafts, one per kind of author: a draft is read only by the writers
(support.manage_support) whose crm.access scope holds its author, so the matrix exercises the
author-based rule for every role and org setting. A published article is every staff user's
(tests/support/knowledge/test_views.py)."""

from __future__ import annotations

from support.knowledge.models import Article, Category

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def _owners(personas) -> dict:
    owners = {key: {"owner": getattr(personas, key)} for key in OWNER_KEYS}
    owners["unassigned"] = {"owner": None}
    owners["south_team"] = {"owner": personas.admin, "team": personas.south}
    return owners


def category(name: str = "Matrix category") -> Category:
    return Category.objects.get_or_create(name=name)[0]


def articles_by_owner(personas, *, status: str = Article.Status.DRAFT) -> dict[str, Article]:
    shelf = category()
    return {
        key: Article.objects.create(
            title=f"Article of {key}", body=f"The answer of {key}.", category=shelf, status=status, **owner
        )
        for key, owner in _owners(personas).items()
    }


def grow_articles(hub: Article, count: int, start: int = 0) -> None:
    """`count` more articles beside the hub article (every title has a word starting "grow"),
    published and drafts, in its category; and changes of the hub article, for its history."""
    rows = []
    for number in range(start, start + count):
        title = f"Grow answer {number}"
        body = f"Grow the archive {number}, step by step."
        rows.append(
            Article(
                title=title,
                body=body,
                category_id=hub.category_id,
                owner_id=hub.owner_id,
                status=Article.Status.PUBLISHED if number % 3 else Article.Status.DRAFT,
                audience=Article.Audience.PUBLIC if number % 2 else Article.Audience.INTERNAL,
                search_title=f"grow answer {number}",
                search_body=f"grow the archive {number} step by step",
            )
        )
    Article.objects.bulk_create(rows)
    for number in range(count // 10):
        article = Article.objects.get(pk=hub.pk)
        article.body = f"The answer, changed {start + number}."
        article.save()
