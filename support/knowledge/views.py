"""The knowledge base's staff pages (support/kb/): the article list with search and filters, an
article, writing one, the categories, "was this helpful", and the ticket reply's "insert answer"
search (an htmx fragment).

Every staff user reads published articles; writing and the categories need
support.manage_support (Managers; Administrators hold every permission), and editing an article
follows crm.access through its author (ArticleQuerySet.editable_by). An article a user may not
read answers 404, one they read but may not change 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import access
from crm.pagination import paginate
from crm.record_views import create_flow, update_flow
from support.knowledge import selectors, services
from support.knowledge.filters import ArticleFilter
from support.knowledge.forms import ArticleForm, CategoryFormSet, VoteForm
from support.knowledge.models import WRITE_PERMISSION, Article, Category

VOTED_SESSION_KEY = "knowledge_voted"  # article ids this session voted on (to thank, not to count)


def _visible_article_or_404(user, pk: int) -> Article:
    return get_object_or_404(Article.objects.visible_to(user).select_related("category", "owner"), pk=pk)


def _editable_article_or_404(user, pk: int) -> Article:
    """404 when `user` may not read the article, 403 when they may read but not change it."""
    access.require_permission(user, WRITE_PERMISSION)
    article = _visible_article_or_404(user, pk)
    if not Article.objects.editable_by(user).filter(pk=article.pk).exists():
        raise PermissionDenied
    return article


@require_GET
def article_list(request):
    article_filter = ArticleFilter(
        request.GET, queryset=selectors.article_list(user=request.user), user=request.user
    )
    page = paginate(article_filter.qs, request.GET.get("page"))
    return render(
        request,
        "knowledge/article_list.html",
        {"filter": article_filter, "page": page, "can_write": request.user.has_perm(WRITE_PERMISSION)},
    )


@require_GET
def article_detail(request, pk: int):
    article = _visible_article_or_404(request.user, pk)
    can_write = request.user.has_perm(WRITE_PERMISSION)
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "can_edit": can_write
            and Article.objects.editable_by(request.user).filter(pk=article.pk).exists(),
            "history": selectors.article_history(article) if can_write else [],
            "voted": article.pk in request.session.get(VOTED_SESSION_KEY, []),
        },
    )


def article_create(request):
    access.require_permission(request.user, WRITE_PERMISSION)
    form = ArticleForm(
        request.POST or None, user=request.user, initial={"category": request.GET.get("category")}
    )
    return create_flow(
        request,
        form=form,
        create=lambda values: services.article_create(actor=request.user, values=values),
        find_duplicates=None,
        template="knowledge/article_form.html",
    )


def article_update(request, pk: int):
    article = _editable_article_or_404(request.user, pk)
    form = ArticleForm(request.POST or None, instance=article, user=request.user)
    return update_flow(
        request,
        form=form,
        record=article,
        update=lambda changes, version: services.article_update(
            actor=request.user, article=article, changes=changes, expected_version=version
        ),
        template="knowledge/article_form.html",
    )


@require_POST
def article_vote(request, pk: int):
    """Count "was this helpful" once per session and article; a repeat is thanked, not counted."""
    article = _visible_article_or_404(request.user, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose yes or no."))
        return redirect(article)
    if not request.session.session_key:
        request.session.save()
    try:
        counted = services.article_vote(
            article=article,
            helpful=form.cleaned_data["helpful"],
            voter=services.voter_key(request.session.session_key),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(article)
    voted = request.session.get(VOTED_SESSION_KEY, [])
    if article.pk not in voted:
        request.session[VOTED_SESSION_KEY] = [*voted[-199:], article.pk]
    if counted:
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.info(request, _("You have already answered for this article."))
    return redirect(article)


@require_GET
def insert_search(request):
    """The ticket reply's "insert answer" results (htmx): published articles matching ?q=."""
    term = request.GET.get("q", "")[:200]
    articles = selectors.article_for_insert(user=request.user, term=term)
    return render(
        request, "knowledge/partials/insert_results.html", {"articles": articles, "term": term.strip()}
    )


def category_list(request):
    """Every category in one form: rename, reorder, nest, add one, delete empty ones."""
    access.require_permission(request.user, WRITE_PERMISSION)
    queryset = Category.objects.order_by("position", "name")
    formset = CategoryFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST" and formset.is_valid():
        try:
            services.categories_save(actor=request.user, forms=formset.forms)
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(request, _("Categories saved."))
            return redirect("knowledge:category_list")
    # One list of parents for every row: a <select> per row without a query per row.
    parents = [("", "---------")] + [
        (category.pk, "— " * category.depth + category.name) for category in selectors.category_tree()
    ]
    for form in formset.forms:
        form.fields["parent"].widget.choices = parents
    return render(request, "knowledge/category_list.html", {"formset": formset})
