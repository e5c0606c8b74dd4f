"""The knowledge base (seed 004 "Solution Management - answers to Frequently Asked Questions"):
articles filed in categories, written by support's set-up people, read by every agent, and the
public ones by customers on the portal.

An article is an owned record whose owner is its author: who *edits* it follows crm.access (a
Manager narrowed to their teams edits their teams' articles) behind support.manage_support. Who
*reads* it is the knowledge base's own rule (ArticleQuerySet.visible_to): a published article is
every staff user's; a draft only its writers'.

The body is plain text: shown escaped (paragraphs and web links only), inserted as it is into a
ticket reply, so no HTML needs sanitising. Search is PostgreSQL full-text search over the same
accent-free words as crm.search, the title weighted above the body for ranking.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.models import OwnedModel
from crm.search import normalise_for_search

WRITE_PERMISSION = "support.manage_support"
MAX_BODY_LENGTH = 50_000


class Category(models.Model):
    """A shelf of the knowledge base, optionally inside another one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("inside"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # No category may end up inside itself, however deep (the list shows them as a tree).
        seen = {self.pk} if self.pk else set()
        parent = self.parent
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError({"parent": _("A category cannot be inside itself.")})
            seen.add(parent.pk)
            parent = parent.parent


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user) -> ArticleQuerySet:
        """Published articles for every active staff user; drafts also for the writers
        (support.manage_support), of the authors whose records they see (crm.access)."""
        from crm import access

        if not user.is_authenticated or not user.is_active:
            return self.none()
        published = models.Q(status=Article.Status.PUBLISHED)
        if not user.has_perm(WRITE_PERMISSION):
            return self.filter(published)
        scope = access.visibility_scope(user)
        drafts = models.Q(status=Article.Status.DRAFT)
        return self.filter(published | (drafts if scope is None else drafts & scope))

    def editable_by(self, user) -> ArticleQuerySet:
        from crm import access

        if not user.has_perm(WRITE_PERMISSION):
            return self.none()
        return access.editable_by(self.visible_to(user), user)

    def published(self) -> ArticleQuerySet:
        return self.filter(status=Article.Status.PUBLISHED)

    def public(self) -> ArticleQuerySet:
        """What customers may read (the portal): published and public."""
        return self.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC)


class Article(OwnedModel):
    """One answer: a question-shaped title and a plain-text body."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Audience(models.TextChoices):
        INTERNAL = "internal", _("Internal (agents only)")
        PUBLIC = "public", _("Public (also on the customer portal)")

    # The author: the owner of crm.access, named as what it is here.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("answer"),
        max_length=MAX_BODY_LENGTH,
        help_text=_("Plain text. Blank lines separate paragraphs; web addresses become links."),
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)

    # Search: accent-free words (crm.search.normalise_for_search) of the title and the body,
    # weighted A and B so that ts_rank puts a match in the title first.
    search_title = models.TextField(editable=False, blank=True, default="")
    search_body = models.TextField(editable=False, blank=True, default="")
    search_vector = models.GeneratedField(
        expression=SearchVector("search_title", weight="A", config="simple")
        + SearchVector("search_body", weight="B", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    history = HistoricalRecords(
        excluded_fields=[
            "search_title", "search_body", "search_vector", "updated_at", "version", "helpful_yes",
            "helpful_no",
        ]
    )  # fmt: skip

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            GinIndex(fields=["search_vector"], name="knowledge_article_search"),
            # The list's default order: its first page read in order, not sorted from every row.
            models.Index(fields=["title", "id"], name="knowledge_article_by_title"),
            models.Index(fields=["category", "status", "title"], name="knowledge_article_by_category"),
            models.Index(fields=["status", "audience", "title"], name="knowledge_article_by_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def save(self, *args, **kwargs):
        # Derived data kept in step with the row, whichever service saves it.
        self.search_title = normalise_for_search(self.title)
        self.search_body = normalise_for_search(self.body)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)


class ArticleVote(models.Model):
    """One "was this helpful" answer: one per article and voter (a digest of the session key), so
    that asking again changes no count."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    voter = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "voter"], name="one_vote_per_voter")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"
