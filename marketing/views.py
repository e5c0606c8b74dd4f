"""Marketing's core pages: plans, campaigns with their results and tasks, a record's campaign
(from the card panels), scoring and the mail settings.

Plans and campaigns are for holders of marketing.manage_marketing (Managers; others when
granted). Scoring (points, grades) and the mail settings are settings, and settings are the
Administrators' (seed 003: a Manager has "everything but settings"): they need
marketing.change_scorerule / marketing.change_marketingsettings, which only Administrators hold
unless granted in admin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contacts.models import Person
from crm import access
from crm.pagination import paginate
from crm.record_views import create_flow, update_flow
from leads.models import Lead
from marketing import charts, selectors, services
from marketing.filters import CampaignFilter, PlanFilter
from marketing.forms import (
    CampaignForm,
    CampaignTaskForm,
    GradeFormSet,
    MarketingSettingsForm,
    PlanForm,
    RecordCampaignForm,
    ScoreRulesForm,
    grade_initial,
)
from marketing.models import Campaign, MarketingPlan, MarketingSettings
from opportunities.models import Deal

MANAGE = "marketing.manage_marketing"
SCORING = "marketing.change_scorerule"
SETTINGS = "marketing.change_marketingsettings"
ATTRIBUTABLE = {"lead": Lead, "person": Person, "deal": Deal}


# -- Plans -----------------------------------------------------------------------------------------


def plan_list(request):
    access.require_permission(request.user, MANAGE)
    plan_filter = PlanFilter(request.GET, queryset=selectors.plan_list(user=request.user))
    page = paginate(plan_filter.qs, request.GET.get("page"))
    return render(request, "marketing/plan_list.html", {"filter": plan_filter, "page": page})


def plan_detail(request, pk: int):
    access.require_permission(request.user, MANAGE)
    plan = access.get_visible_or_404(selectors.plan_list(user=request.user), request.user, pk=pk)
    return render(
        request,
        "marketing/plan_detail.html",
        {
            "plan": plan,
            "totals": selectors.plan_totals(plan),
            "campaigns": selectors.plan_campaigns(user=request.user, plan=plan),
            "can_edit": access.can_edit(request.user, plan),
        },
    )


def plan_create(request):
    access.require_permission(request.user, MANAGE)
    form = PlanForm(request.POST or None, user=request.user)
    return create_flow(
        request,
        form=form,
        create=lambda values: services.plan_create(actor=request.user, values=values),
        find_duplicates=None,
        template="marketing/plan_form.html",
    )


def plan_update(request, pk: int):
    access.require_permission(request.user, MANAGE)
    plan = access.get_editable_or_404(MarketingPlan, request.user, pk=pk)
    form = PlanForm(request.POST or None, instance=plan, user=request.user)
    return update_flow(
        request,
        form=form,
        record=plan,
        update=lambda changes, version: services.plan_update(
            actor=request.user, plan=plan, changes=changes, expected_version=version
        ),
        template="marketing/plan_form.html",
    )


# -- Campaigns -----------------------------------------------------------------------------------


def campaign_list(request):
    access.require_permission(request.user, MANAGE)
    campaigns = selectors.with_lead_counts(selectors.campaign_list(user=request.user))
    campaign_filter = CampaignFilter(request.GET, queryset=campaigns, user=request.user)
    page = paginate(campaign_filter.qs, request.GET.get("page"))
    return render(request, "marketing/campaign_list.html", {"filter": campaign_filter, "page": page})


def campaign_detail(request, pk: int):
    access.require_permission(request.user, MANAGE)
    campaign = access.get_visible_or_404(selectors.campaign_list(user=request.user), request.user, pk=pk)
    results = selectors.campaign_results(campaign)
    can_edit = access.can_edit(request.user, campaign)
    return render(
        request,
        "marketing/campaign_detail.html",
        {
            "campaign": campaign,
            "results": results,
            "chart": charts.campaign_chart(results),
            "tasks": selectors.campaign_tasks(user=request.user, campaign=campaign),
            "task_form": CampaignTaskForm() if can_edit else None,
            "can_edit": can_edit,
        },
    )


def campaign_create(request):
    access.require_permission(request.user, MANAGE)
    form = CampaignForm(request.POST or None, user=request.user, initial={"plan": request.GET.get("plan")})
    return create_flow(
        request,
        form=form,
        create=lambda values: services.campaign_create(actor=request.user, values=values),
        find_duplicates=None,
        template="marketing/campaign_form.html",
    )


def campaign_update(request, pk: int):
    access.require_permission(request.user, MANAGE)
    campaign = access.get_editable_or_404(Campaign, request.user, pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    return update_flow(
        request,
        form=form,
        record=campaign,
        update=lambda changes, version: services.campaign_update(
            actor=request.user, campaign=campaign, changes=changes, expected_version=version
        ),
        template="marketing/campaign_form.html",
    )


@require_POST
def campaign_task_create(request, pk: int):
    access.require_permission(request.user, MANAGE)
    access.require_permission(request.user, "activities.add_activity")
    campaign = access.get_editable_or_404(Campaign, request.user, pk=pk)
    form = CampaignTaskForm(request.POST)
    if form.is_valid():
        services.campaign_task_create(
            actor=request.user,
            campaign=campaign,
            subject=form.cleaned_data["subject"],
            due_at=form.cleaned_data["due_at"],
            activity_type=form.cleaned_data["activity_type"],
        )
        messages.success(request, _("To-do added."))
    else:
        messages.error(request, _("The to-do needs a subject and a valid due time."))
    return redirect(campaign)


# -- A record's campaign (card panels) -----------------------------------------------------------


@require_POST
def record_campaign_set(request, model_name: str, pk: int):
    access.require_permission(request.user, MANAGE)
    model = ATTRIBUTABLE.get(model_name)
    if model is None:
        raise Http404
    record = access.get_editable_or_404(model, request.user, pk=pk)
    form = RecordCampaignForm(request.POST, user=request.user)
    if form.is_valid():
        services.record_campaign_set(
            actor=request.user,
            record=record,
            campaign=form.cleaned_data["campaign"],
            converting=form.cleaned_data["converting"],
        )
        messages.success(request, _("Campaign recorded."))
    else:
        messages.error(request, _("Choose a campaign."))
    return redirect(record)


# -- Scoring and mail settings -------------------------------------------------------------------


def scoring_settings(request):
    access.require_permission(request.user, SCORING)
    posted = request.POST if request.method == "POST" else None
    rules_form = ScoreRulesForm(posted if posted and "save_points" in posted else None)
    grades = GradeFormSet(
        posted if posted and "save_grades" in posted else None, initial=grade_initial(), prefix="grades"
    )
    if posted and "save_points" in posted and rules_form.is_valid():
        try:
            services.score_rules_update(actor=request.user, points=rules_form.points())
        except ValidationError as error:
            rules_form.add_error(None, error)
        else:
            messages.success(request, _("Points saved: they apply to events from now on."))
            return redirect("marketing:scoring_settings")
    if posted and "save_grades" in posted and grades.is_valid():
        try:
            services.grades_replace(actor=request.user, grades=grades.grades())
        except ValidationError as error:
            grades._non_form_errors = grades.error_class(error.messages)
        else:
            messages.success(request, _("Grades saved: every score was graded again."))
            return redirect("marketing:scoring_settings")
    status = 400 if posted else 200
    return render(
        request,
        "marketing/scoring_settings.html",
        {"rules_form": rules_form, "grades": grades},
        status=status,
    )


def mail_settings(request):
    access.require_permission(request.user, SETTINGS)
    current = MarketingSettings.load()
    form = MarketingSettingsForm(request.POST or None, request.FILES or None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                services.settings_update(actor=request.user, changes=changes)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Mail settings saved."))
                return redirect("marketing:mail_settings")
        current.refresh_from_db()
        return render(
            request, "marketing/mail_settings.html", {"form": form, "settings": current}, status=400
        )
    return render(request, "marketing/mail_settings.html", {"form": form, "settings": current})
