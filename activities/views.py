"""The activity forms and the timeline on a card (htmx): add, edit, complete (then the next to-do,
seed 003), cancel, delete. Every write goes through activities.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activities import selectors, services
from activities.forms import LINK_MODELS, ActivityForm, CompleteForm, QuickTodoForm, VersionForm, preset_links
from activities.models import LINKS, Activity
from activities.panels import timeline_context
from crm import access
from crm.exceptions import StaleRecordError
from crm.search import search
from leads.models import Lead
from opportunities.models import Deal

AUTOCOMPLETE_LIMIT = 20
PANEL = "activities/timeline_panel.html"
FORM = "activities/activity_form.html"


def _visible_activity(request: HttpRequest, pk: int) -> Activity:
    # Activities follow their most specific record: never crm.access.get_visible_or_404 here.
    return get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)


def _editable_activity(request: HttpRequest, pk: int, permission: str) -> Activity:
    access.require_permission(request.user, permission)
    activity = _visible_activity(request, pk)
    if not access.can_edit(request.user, activity):
        raise PermissionDenied
    return activity


def _card(request: HttpRequest):
    """The record whose card the timeline is on ("company:12" in `card`), or None; 404 if the
    user may not see it."""
    value = request.POST.get("card") or request.GET.get("card") or ""
    if not value:
        return None
    model_name, _sep, pk = value.partition(":")
    if model_name not in LINK_MODELS or not pk.isdigit():
        raise Http404
    return get_object_or_404(LINK_MODELS[model_name].objects.visible_to(request.user), pk=pk)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _panel(request: HttpRequest, record, *, status: int = 200, **extra) -> HttpResponse:
    context = timeline_context(record, request.user, **extra)
    return render(request, PANEL, {"record": record, "context": context}, status=status)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _after_url(activity: Activity) -> str:
    record = activity.linked_record()
    return record.get_absolute_url() if record is not None else reverse("home")


def _most_specific(links: dict):
    return next((links[link] for link in LINKS if link in links), None)


def activity_create(request: HttpRequest) -> HttpResponse:
    """The full form (?company=&person=&deal=&lead= preset, ?kind=meeting), or, from a card's
    timeline (htmx), the inline next to-do, answered with the refreshed timeline."""
    access.require_permission(request.user, "activities.add_activity")
    links = preset_links(request.GET, request.user)
    card = _most_specific(links)
    if request.method == "POST" and "quick" in request.POST and card is not None:
        return _quick_add(request, links, card)
    kind = request.GET.get("kind")
    initial = {**links, "kind": kind if kind in Activity.Kind.values else Activity.Kind.TODO}
    after = request.GET.get("after", "")
    if after.isdigit():
        # The next to-do after one just completed (without htmx): pre-filled from it.
        done = get_object_or_404(Activity.objects.visible_to(request.user), pk=after)
        initial |= {key: value for key, value in services.next_todo_values(done).items() if value is not None}
    form = ActivityForm(request.POST or None, initial=initial, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                activity = services.activity_create(
                    actor=request.user,
                    values=form.service_values(),
                    attendee_people=form.cleaned_data["attendee_people"],
                    attendee_users=form.cleaned_data["attendee_users"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("%(activity)s added.") % {"activity": activity})
                return redirect(_after_url(activity))
        status = 422
    cancel_url = card.get_absolute_url() if card is not None else reverse("home")
    return render(request, FORM, {"form": form, "cancel_url": cancel_url}, status=status)


def _quick_add(request: HttpRequest, links: dict, card) -> HttpResponse:
    form = QuickTodoForm(request.POST, user=request.user)
    if form.is_valid():
        values = {**links, **form.cleaned_data, "kind": Activity.Kind.TODO}
        values["owner"] = values["owner"] or request.user
        try:
            services.activity_create(actor=request.user, values=values)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _panel(request, card) if _is_htmx(request) else redirect(card)
    return _panel(request, card, status=422, quick_form=form)


def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _editable_activity(request, pk, "activities.change_activity")
    form = ActivityForm(request.POST or None, instance=activity, user=request.user)
    context = {"form": form, "record": activity, "cancel_url": _after_url(activity)}
    if request.method != "POST":
        return render(request, FORM, context)
    if form.is_valid():
        try:
            saved = services.activity_update(
                actor=request.user,
                activity=activity,
                changes=form.service_values(),
                expected_version=form.cleaned_data["version"],
                attendee_people=form.cleaned_data["attendee_people"],
                attendee_users=form.cleaned_data["attendee_users"],
            )
        except StaleRecordError as stale:
            form.add_error(None, _("Someone else saved this activity meanwhile: reload it and try again."))
            return render(request, FORM, {**context, "stored": stale.current}, status=409)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(activity)s saved.") % {"activity": saved})
            return redirect(_after_url(saved))
    return render(request, FORM, context, status=422)


@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a to-do done with its outcome; then offer the next to-do, pre-filled (seed 003)."""
    activity = _editable_activity(request, pk, "activities.change_activity")
    card = _card(request)
    form = CompleteForm(request.POST)
    error = None
    if form.is_valid():
        try:
            done = services.activity_complete(
                actor=request.user,
                activity=activity,
                expected_version=form.cleaned_data["version"],
                outcome=form.cleaned_data["outcome"],
            )
        except StaleRecordError:
            error, status = _("Someone else changed this to-do meanwhile: look again."), 409
        except ValidationError as refusal:
            error, status = " ".join(refusal.messages), 422
        else:
            if card is None or not _is_htmx(request):
                messages.success(request, _("%(activity)s done. What is the next step?") % {"activity": done})
                query = {link: getattr(done, f"{link}_id") for link in LINKS if getattr(done, f"{link}_id")}
                return redirect(
                    f"{reverse('activities:activity_create')}?{urlencode({**query, 'after': done.pk})}"
                )
            return _panel(request, card, next_after=done)
    else:
        error, status = " ".join(message for errors in form.errors.values() for message in errors), 422
    if card is not None and _is_htmx(request):
        return _panel(request, card, status=status, error=error)
    messages.error(request, error)
    return redirect(_after_url(activity))


@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _editable_activity(request, pk, "activities.change_activity")
    card = _card(request)
    form = VersionForm(request.POST)
    error, status = _("Reload the page and try again."), 422
    if form.is_valid():
        try:
            services.activity_cancel(
                actor=request.user, activity=activity, expected_version=form.cleaned_data["version"]
            )
        except StaleRecordError:
            error, status = _("Someone else changed this activity meanwhile: look again."), 409
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            error, status = None, 200
    if card is not None and _is_htmx(request):
        return _panel(request, card, status=status, error=error)
    if error:
        messages.error(request, error)
    return redirect(_after_url(activity))


def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _editable_activity(request, pk, "activities.delete_activity")
    if request.method == "POST":
        after = _after_url(activity)
        services.activity_delete(actor=request.user, activity=activity)
        messages.success(request, _("%(record)s deleted.") % {"record": activity})
        return redirect(after)
    return render(request, "includes/confirm_delete.html", {"record": activity})


@require_GET
def timeline_panel(request: HttpRequest, model_name: str, pk: int) -> HttpResponse:
    """The timeline of a card alone (htmx): "show more" history, or "skip" the next to-do."""
    if model_name not in LINK_MODELS:
        raise Http404
    record = get_object_or_404(LINK_MODELS[model_name].objects.visible_to(request.user), pk=pk)
    shown = request.GET.get("history", "")
    history_shown = int(shown) if shown.isdigit() and len(shown) < 5 else selectors.TIMELINE_HISTORY_SHOWN
    return _panel(request, record, history_shown=history_shown)


def _term(request: HttpRequest) -> str:
    return next((value for key, value in request.GET.items() if key.endswith("search") or key == "q"), "")


@require_GET
def activity_deal_autocomplete(request: HttpRequest) -> HttpResponse:
    deals = search(Deal.objects.visible_to(request.user), _term(request)).order_by("name", "pk")
    return render(request, "activities/activity_options.html", {"records": deals[:AUTOCOMPLETE_LIMIT]})


@require_GET
def activity_lead_autocomplete(request: HttpRequest) -> HttpResponse:
    leads = search(Lead.objects.visible_to(request.user), _term(request)).order_by("last_name", "pk")
    return render(request, "activities/activity_options.html", {"records": leads[:AUTOCOMPLETE_LIMIT]})
