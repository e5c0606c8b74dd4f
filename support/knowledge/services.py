"""The knowledge base's writes (articles, categories, "was this helpful" votes) and the two reads
the customer portal calls: `public_articles()` and `public_search(query)`."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from crm.services import audit_record, record_create, record_update
from support.knowledge import search
from support.knowledge.models import Article, ArticleVote, Category

PUBLIC_SEARCH_LIMIT = 20


# -- Articles ----------------------------------------------------------------------------------


def article_create(*, actor, values: dict[str, Any]) -> Article:
    """A new article (a draft unless `values` publishes it), written by `actor` unless it names
    another author."""
    values = {"owner": actor, **values}
    return record_create(actor=actor, instance=Article(**values))


def article_update(*, actor, article: Article, changes: dict[str, Any], expected_version: int) -> Article:
    """Change an article; refused (StaleRecordError) when someone saved it since
    `expected_version`. Publishing stamps `published_at` the first time."""
    return record_update(actor=actor, instance=article, changes=changes, expected_version=expected_version)


def voter_key(session_key: str) -> str:
    """What a vote stores of the voter: a digest of their session key, never the key itself."""
    return hashlib.sha256(f"knowledge-vote:{session_key}".encode()).hexdigest()


def article_vote(*, article: Article, helpful: bool, voter: str) -> bool:
    """Count one "was this helpful" answer of `voter` (see voter_key) on a published article.
    Returns False, counting nothing, when this voter has answered already."""
    if not article.is_published:
        raise ValidationError(_("Only published articles take votes."))
    try:
        with transaction.atomic():
            ArticleVote.objects.create(article=article, voter=voter, helpful=helpful)
            counter = "helpful_yes" if helpful else "helpful_no"
            # F(): two agents voting at the same moment both count.
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    except IntegrityError:
        return False  # the unique (article, voter) row exists: already counted
    return True


# -- Categories --------------------------------------------------------------------------------


@transaction.atomic
def categories_save(*, actor, forms: list) -> None:
    """Apply a category formset's rows in one go: new and changed categories saved, those marked
    for deletion deleted. A category that still holds articles or categories is not deleted: the
    whole change is refused (ValidationError naming it) and nothing is saved."""
    for form in forms:
        if not form.has_changed() and not form.instance.pk:
            continue  # an empty extra row
        if getattr(form, "cleaned_data", {}).get("DELETE"):
            if form.instance.pk:
                category_delete(actor=actor, category=form.instance)
            continue
        if not form.has_changed():
            continue
        category = form.instance  # the form's values, set on it when the form was validated
        verb = "update" if category.pk else "create"
        # Again, now that the rows before it are saved: two rows may make a loop only together.
        category.full_clean()
        category.save()
        changes = {name: form.cleaned_data.get(name) for name in form.changed_data}
        audit_record(actor=actor, verb=verb, instance=category, changes=changes)


def category_create(*, actor, values: dict[str, Any]) -> Category:
    category = Category(**values)
    category.full_clean()
    category.save()
    audit_record(actor=actor, verb="create", instance=category)
    return category


def category_delete(*, actor, category: Category) -> None:
    """Delete an empty category; refused while articles or categories are inside it."""
    if Article.objects.filter(category=category).exists() or category.children.exists():
        raise ValidationError(
            _("%(category)s still holds articles or categories: move them first.") % {"category": category}
        )
    audit_record(actor=actor, verb="delete", instance=category)
    category.delete()


# -- For the customer portal -------------------------------------------------------------------


def public_articles() -> models.QuerySet[Article]:
    """Every article customers may read (published and public), by category and title."""
    return Article.objects.public().select_related("category").order_by("category__position", "title", "pk")


def public_search(query: str, limit: int = PUBLIC_SEARCH_LIMIT) -> list[Article]:
    """The published public articles matching `query`, best first, at most `limit` (capped at 50);
    nothing for a query without a searchable word."""
    limit = max(0, min(int(limit), 50))
    found = search.ranked(Article.objects.public().select_related("category"), query)
    if found is None:
        return []
    return list(found[:limit])
