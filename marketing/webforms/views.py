"""The marketing user's pages: web forms (list, create, edit, detail with submissions) and the
website tracking set-up (page patterns and the snippet). All behind marketing.manage_marketing;
a form is a record of its owner, seen through crm.access."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from crm import access
from crm.record_views import create_flow, update_flow
from leads.models import Lead
from marketing.webforms import services
from marketing.webforms.forms import PagePatternFormSet, WebFormForm
from marketing.webforms.models import PagePattern, Submission, WebForm

PERMISSION = "marketing.manage_marketing"
FORMS_PER_PAGE = 50
SUBMISSIONS_PER_PAGE = 50


def form_list(request):
    access.require_permission(request.user, PERMISSION)
    forms = (
        WebForm.objects.visible_to(request.user).select_related("campaign", "owner").order_by("name", "pk")
    )
    page = Paginator(forms, FORMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "webforms/form_list.html", {"page": page, "forms": page.object_list})


def form_create(request):
    access.require_permission(request.user, PERMISSION)
    form = WebFormForm(request.POST or None, user=request.user)
    return create_flow(
        request,
        form=form,
        create=lambda values: services.form_create(actor=request.user, values=values),
        find_duplicates=None,
        template="webforms/form_form.html",
    )


def form_update(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    web_form = access.get_editable_or_404(WebForm, request.user, pk=pk)
    form = WebFormForm(request.POST or None, instance=web_form, user=request.user)
    return update_flow(
        request,
        form=form,
        record=web_form,
        update=lambda changes, version: services.form_update(
            actor=request.user, form=web_form, changes=changes, expected_version=version
        ),
        template="webforms/form_form.html",
    )


def form_detail(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    web_form = access.get_visible_or_404(
        WebForm.objects.select_related("campaign", "owner", "assign_user", "assign_team", "company_category"),
        request.user,
        pk=pk,
    )
    submissions = Submission.objects.filter(form=web_form).order_by("-submitted_at", "-pk")
    page = Paginator(submissions, SUBMISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # A submission links to its lead only for a viewer who may see the lead.
    lead_ids = {row.lead_id for row in rows if row.lead_id}
    visible_leads = set(
        Lead.objects.visible_to(request.user).filter(pk__in=lead_ids).values_list("pk", flat=True)
    )
    for row in rows:
        row.visible_lead_id = row.lead_id if row.lead_id in visible_leads else None
    public_url = request.build_absolute_uri(web_form.public_url())
    return render(
        request,
        "webforms/form_detail.html",
        {
            "web_form": web_form,
            "page": page,
            "submissions": rows,
            "public_url": public_url,
            "can_edit": access.can_edit(request.user, web_form),
        },
    )


def tracking(request):
    """The tracked page patterns (with their points) and the snippet for the company website."""
    access.require_permission(request.user, PERMISSION)
    queryset = PagePattern.objects.order_by("excluded", "-points", "pattern")
    formset = PagePatternFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST" and formset.is_valid():
        with transaction.atomic():
            instances = formset.save(commit=False)
            for pattern in formset.deleted_objects:
                services.pattern_delete(actor=request.user, pattern=pattern)
            for pattern in instances:
                services.pattern_save(actor=request.user, pattern=pattern)
        messages.success(request, _("Tracked pages saved."))
        return redirect("webforms:tracking")
    snippet_url = request.build_absolute_uri(static("webforms/track.js"))
    endpoint = request.build_absolute_uri(reverse("webforms_public:visit"))
    return render(
        request,
        "webforms/tracking.html",
        {"formset": formset, "snippet_url": snippet_url, "endpoint": endpoint},
        status=400 if request.method == "POST" else 200,
    )
