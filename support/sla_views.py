"""Customer service's set-up pages (support.manage_support: Managers, Administrators, whoever is
granted it): queues, SLA policies with their targets per priority, business hours and holidays;
the agents' workload board (every staff user, over what they see); and the support reports
(crm.view_reports)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from crm.models import Report
from crm.pagination import paginate
from support import reports, setup, tasks, workload
from support.models import Queue, SlaPolicy
from support.setup_forms import (
    HolidayFormSet,
    PolicyForm,
    QueueForm,
    TargetFormSet,
    holiday_initial,
    target_initial,
)

MANAGE = "support.manage_support"


def _service_errors(form, error: ValidationError) -> None:
    for name, errors in getattr(error, "error_dict", {None: error.error_list}).items():
        form.add_error(name if name in form.fields else None, errors)


# -- Queues --------------------------------------------------------------------------------------


def queue_list(request):
    access.require_permission(request.user, MANAGE)
    queues = Queue.objects.select_related("team").order_by("name")
    return render(request, "support/sla/queue_list.html", {"queues": queues, "current": "queues"})


def queue_edit(request, pk: int | None = None):
    access.require_permission(request.user, MANAGE)
    queue = get_object_or_404(Queue, pk=pk) if pk is not None else None
    form = QueueForm(request.POST or None, instance=queue)
    if request.method == "POST" and form.is_valid():
        try:
            saved = setup.queue_save(actor=request.user, queue=queue, values=form.cleaned_data)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("%(record)s saved.") % {"record": saved})
            return redirect("support_setup:queue_list")
    return render(request, "support/sla/queue_form.html", {"form": form, "queue": queue, "current": "queues"})


# -- SLA policies --------------------------------------------------------------------------------


def policy_list(request):
    access.require_permission(request.user, MANAGE)
    policies = SlaPolicy.objects.prefetch_related("targets").order_by("name")
    return render(request, "support/sla/policy_list.html", {"policies": policies, "current": "policies"})


def policy_edit(request, pk: int | None = None):
    """A policy, its targets (one row per priority) and holidays, saved together or not at all."""
    access.require_permission(request.user, MANAGE)
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk is not None else None
    if policy is not None and request.method == "POST" and "recompute" in request.POST:
        return _policy_recompute(request, policy)
    data = request.POST if request.method == "POST" else None
    form = PolicyForm(data, instance=policy)
    targets = TargetFormSet(data, initial=target_initial(policy), prefix="targets")
    # Bound, the rows are what was posted (initial values would make unchanged rows look empty).
    holidays = HolidayFormSet(data, initial=None if data else holiday_initial(policy), prefix="holidays")
    if data is not None and form.is_valid() and targets.is_valid() and holidays.is_valid():
        try:
            saved = setup.policy_save(
                actor=request.user,
                policy=policy,
                values=form.values(),
                targets=targets.targets(),
                holidays=holidays.holidays(),
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("%(record)s saved.") % {"record": saved})
            return redirect("support_setup:policy_list")
    context = {
        "form": form,
        "targets": targets,
        "holidays": holidays,
        "policy": policy,
        "current": "policies",
    }
    return render(request, "support/sla/policy_form.html", context)


def _policy_recompute(request, policy: SlaPolicy):
    """The explicit "recompute open tickets" of a policy: a Celery task, in batches."""
    transaction.on_commit(lambda: tasks.policy_recompute_open_tickets.delay(policy.pk))
    messages.success(
        request,
        _("The open tickets of %(policy)s are being given new due times.") % {"policy": policy},
    )
    return redirect("support_setup:policy_update", pk=policy.pk)


# -- Workload ------------------------------------------------------------------------------------


def workload_board(request):
    """Every staff user: the agents of the teams they see, counted over the tickets they see."""
    page = paginate(workload.workload_agents(request.user), request.GET.get("page"))
    return render(
        request,
        "support/sla/workload.html",
        {
            "page": page,
            "loads": workload.workload(request.user, list(page.object_list)),
            "unassigned": workload.unassigned_open(request.user),
            "current": "workload",
        },
    )


# -- Reports -------------------------------------------------------------------------------------


class ReportForm(forms.Form):
    by = forms.ChoiceField(
        label=_("Per"),
        required=False,
        choices=[("month", _("Month")), ("queue", _("Queue")), ("agent", _("Agent"))],
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["until"] < cleaned["since"]:
            self.add_error("until", _("The end comes before the start."))
        return cleaned


def sla_report(request):
    """SLA compliance and medians per month, queue or agent; the backlog chart."""
    access.require_permission(request.user, Report.PERMISSION)
    today = timezone.localdate()
    form = ReportForm(request.GET or None)
    by, since, until = "month", today.replace(day=1) - datetime.timedelta(days=365), today
    if form.is_valid():
        by = form.cleaned_data["by"] or by
        since = form.cleaned_data["since"] or since
        until = form.cleaned_data["until"] or until
    elif form.is_bound:
        messages.error(request, _("Choose a valid period; showing the last twelve months instead."))
    return render(
        request,
        "support/sla/report.html",
        {
            "form": form,
            "by": by,
            "since": since,
            "until": until,
            "rows": reports.compliance(request.user, by=by, since=since, until=until),
            "backlog": reports.backlog(request.user, today=today),
            "current": "reports",
        },
    )
