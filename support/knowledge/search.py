"""Full-text search of articles: every typed word must start a word of the title or the body
(accent-free, as crm.search does it: "vasteras" finds "Västerås"), best matches first by
PostgreSQL's ts_rank, where a title word (weight A) counts 2.5 times a body word (weight B).

The GIN index on Article.search_vector finds the matches; ranking reads only those. A search is
capped by its caller (a page of the list, the "insert answer" box, the portal's results)."""

from __future__ import annotations

from django.contrib.postgres.search import SearchRank
from django.db import models
from django.db.models import F

from crm.search import search_query


def ranked(queryset: models.QuerySet, term: str) -> models.QuerySet | None:
    """`queryset`'s articles matching `term`, best first (then by title); None when `term` holds
    no searchable word (the caller decides: everything, or nothing)."""
    query = search_query(term or "")
    if query is None:
        return None
    return (
        queryset.filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "title", "pk")
    )
