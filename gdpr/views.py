"""The GDPR pages: contacts by age, anonymise or touch (one or many), subject-access export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import access
from crm.pagination import paginate
from gdpr import bulk_jobs, erasure, exports, registry, selectors, services
from gdpr.forms import MAX_EVERYONE, AgeFilterForm, ErasureDecisionForm, ErasureRequestForm, SelectionForm

PAGE_SIZE = 50
CONFIRM_LISTED = 20  # names on the confirm step; the count says how many in all


def _person_subject() -> registry.Subject:
    subject = registry.subject("person")
    if subject is None:  # contacts is not installed: there is nobody to list
        raise Http404
    return subject


def _subject_of_kind(kind: str | None) -> registry.Subject:
    """The subject kind a list tab or a bulk action names ("person" by default); unknown → 404."""
    subject = registry.subject(kind) if kind else _person_subject()
    if subject is None:
        raise Http404
    return subject


def contact_age_list(request):
    """People and leads (a tab per registered subject kind) by the time since last touched."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _subject_of_kind(request.GET.get("kind"))
    form = AgeFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    people = selectors.people_by_age(user=request.user, subject=subject, filters=data).annotate(
        touched=F(subject.touched_field)
    )
    context = {
        "form": form,
        "page": paginate(people, request.GET.get("page"), per_page=PAGE_SIZE),
        "subject": subject,
        "subjects": registry.subjects(),
        "has_email": any(field.name == "email" for field in subject.fields),
    }
    return render(request, "gdpr/contact_age_list.html", context)


def _selected(request, subject, ids: list[int]) -> list:
    """The chosen people, each editable by the user; any other id answers 404 (nothing done)."""
    rows = subject.in_scope(subject.model.objects.filter(pk__in=ids))
    people = list(access.editable_by(rows, request.user).order_by("pk"))
    if len(people) != len(set(ids)):
        raise Http404
    return people


@require_http_methods(["GET", "POST"])
def contact_bulk(request):
    """GET: the confirm step (count, cannot be undone); POST with confirm: the action itself."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    form = SelectionForm(request.POST if request.method == "POST" else (request.GET or None))
    if not form.is_bound:
        return render(request, "gdpr/contact_bulk_confirm.html", {"form": form, "people": [], "action": ""})
    if not form.is_valid():
        if "ids" in form.errors and any(not value.isdigit() for value in form.data.getlist("ids")):
            raise Http404
        if "kind" in form.errors:
            raise Http404
        messages.error(request, _("Choose at least one person and an action."))
        return redirect("gdpr:contact_age_list")
    subject = _subject_of_kind(form.cleaned_data["kind"])
    action = form.cleaned_data["action"]
    filter_params: list[tuple[str, str]] = []
    if form.cleaned_data["everyone"]:
        filters = AgeFilterForm(form.data, user=request.user)
        if not filters.is_valid():
            messages.error(request, _("The filter is not valid."))
            return redirect("gdpr:contact_age_list")
        rows = selectors.people_by_age(user=request.user, subject=subject, filters=filters.cleaned_data)
        pks = list(access.editable_by(rows, request.user).values_list("pk", flat=True)[: MAX_EVERYONE + 1])
        if len(pks) > MAX_EVERYONE:
            messages.error(
                request,
                _("More than %(count)d people match: narrow the filter.") % {"count": MAX_EVERYONE},
            )
            return redirect("gdpr:contact_age_list")
        shown = list(subject.model.objects.filter(pk__in=pks[:CONFIRM_LISTED]).order_by("pk"))
        filter_params = [
            (name, value)
            for name in filters.fields
            if name != "kind"
            for value in (form.data.getlist(name) if hasattr(form.data, "getlist") else [])
            if value
        ]
    else:
        people = _selected(request, subject, form.cleaned_data["ids"])
        pks = [person.pk for person in people]
        shown = people[:CONFIRM_LISTED]
    if request.method == "GET":
        context = {
            "form": form,
            "count": len(pks),
            "people": shown,
            "ids": [] if form.cleaned_data["everyone"] else pks,
            "everyone": form.cleaned_data["everyone"],
            "filter_params": filter_params,
            "action": action,
            "subject": subject,
            "in_background": action == "anonymise" and bulk_jobs.should_run_in_background(len(pks)),
        }
        return render(request, "gdpr/contact_bulk_confirm.html", context)
    if not pks:
        messages.error(request, _("Nobody matches."))
        return redirect("gdpr:contact_age_list")
    if action == "anonymise" and bulk_jobs.should_run_in_background(len(pks)):
        job = bulk_jobs.bulk_anonymisation_start(actor=request.user, subject=subject, pks=pks)
        return redirect(f"{reverse('gdpr:bulk_job_progress')}?job={job.pk}")
    if action == "anonymise":
        count = services.records_anonymise(actor=request.user, model=subject.model, pks=pks)
        messages.success(
            request,
            ngettext("%(count)d person anonymised.", "%(count)d people anonymised.", count)
            % {"count": count},
        )
    else:
        count = services.records_touch(
            actor=request.user, model=subject.model, pks=pks, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            ngettext("%(count)d person touched.", "%(count)d people touched.", count) % {"count": count},
        )
    return redirect(f"{reverse('gdpr:contact_age_list')}?kind={subject.key}")


@require_http_methods(["GET", "POST"])
def person_anonymise(request, pk: int):
    """From the card or the list: the confirm step, then the anonymisation."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _person_subject()
    person = access.get_editable_or_404(subject.model, request.user, pk=pk)
    if request.method == "POST":
        services.record_anonymise(actor=request.user, record=person)
        messages.success(request, _("The person was anonymised."))
        return redirect(person.get_absolute_url())
    return render(
        request,
        "gdpr/person_anonymise.html",
        {"person": person, "already": services.is_anonymised(person)},
    )


@require_POST
def person_touch(request, pk: int):
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _person_subject()
    person = access.get_editable_or_404(subject.model, request.user, pk=pk)
    reason = request.POST.get("reason", "")[:200]
    services.records_touch(actor=request.user, model=subject.model, pks=[person.pk], reason=reason)
    messages.success(request, _("The last-touched date was reset."))
    return redirect(
        request.POST.get("next")
        if request.POST.get("next") == reverse("gdpr:contact_age_list")
        else person.get_absolute_url()
    )


@require_POST
def person_subject_access(request, pk: int):
    """Everything held on the person as a download: JSON by default, format=html for a readable
    page. POST, as each export is logged (and its size grows with what is held on the person)."""
    access.require_permission(request.user, services.EXPORT_PERMISSION)
    subject = _person_subject()
    person = access.get_visible_or_404(subject.model, request.user, pk=pk)
    data = exports.subject_access_data(actor=request.user, record=person)
    if request.POST.get("format") == "html":
        body = render_to_string("gdpr/subject_access.html", {"data": data}, request=request)
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        extension = "html"
    else:
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json"
        )
        extension = "json"
    response["Content-Disposition"] = (
        f'attachment; filename="subject-access-{subject.key}-{person.pk}.{extension}"'
    )
    return response


EXPORT_FORMATS = {
    "json": ("json_file", "application/json"),
    "xlsx": ("xlsx_file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@require_http_methods(["GET", "POST"])
def person_subject_access_exports(request, pk: int):
    """The user's background exports of the person: POST asks for a new one (JSON and XLSX,
    built by a worker); GET lists them, or with ?export=<id>&format=json|xlsx downloads one
    (logged). Only the requester downloads an export, and only while they may see the person."""
    access.require_permission(request.user, services.EXPORT_PERMISSION)
    subject = _person_subject()
    person = access.get_visible_or_404(subject.model, request.user, pk=pk)
    if request.method == "POST":
        exports.subject_access_request(actor=request.user, record=person)
        messages.success(request, _("The export is being prepared; download it here when it is ready."))
        return redirect("gdpr:person_subject_access_exports", pk=person.pk)
    mine = exports.exports_of(user=request.user, record=person)
    if "export" in request.GET:
        file_field, content_type = EXPORT_FORMATS.get(request.GET.get("format", ""), (None, None))
        try:
            export = mine.filter(status="ready").get(pk=request.GET["export"]) if file_field else None
        except (exports.SubjectAccessExport.DoesNotExist, ValidationError):
            export = None
        if export is None:
            raise Http404
        exports.export_downloaded(actor=request.user, export=export, file_format=request.GET["format"])
        extension = request.GET["format"]
        return FileResponse(
            getattr(export, file_field).open("rb"),
            as_attachment=True,
            filename=f"subject-access-{subject.key}-{person.pk}.{extension}",
            content_type=content_type,
        )
    context = {"person": person, "exports": list(mine[: exports.EXPORTS_LISTED])}
    return render(request, "gdpr/subject_access_exports.html", context)


@require_GET
def bulk_job_progress(request):
    """The user's bulk anonymisations; ?job=<id> one of them, whose progress bar the page polls
    (htmx: the same template's #progress fragment)."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    jobs = bulk_jobs.jobs_of(user=request.user)
    if "job" not in request.GET:
        return render(request, "gdpr/bulk_jobs.html", {"jobs": jobs[: bulk_jobs.JOBS_LISTED]})
    try:
        job = jobs.filter(pk=request.GET["job"]).first()
    except ValidationError:  # not a UUID
        job = None
    if job is None:
        raise Http404
    template = "gdpr/bulk_job.html#progress" if request.headers.get("HX-Request") else "gdpr/bulk_job.html"
    return render(request, template, {"job": job})


def erasure_request_list(request):
    """The open "forget me" requests about records the user may see, the earliest due first."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    requests, count = erasure.open_requests(user=request.user)
    return render(request, "gdpr/erasure_request_list.html", {"requests": requests, "count": count})


@require_http_methods(["GET", "POST"])
def person_erasure_requests(request, pk: int):
    """The person's erasure requests, and the form to record a new one (POST)."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _person_subject()
    person = access.get_editable_or_404(subject.model, request.user, pk=pk)
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.erasure_request_record(actor=request.user, record=person, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except erasure.ErasureRequestError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The erasure request was recorded."))
            return redirect("gdpr:person_erasure_requests", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "decision_form": ErasureDecisionForm(),
        "requests": list(erasure.requests_of(person)[:50]),
        "anonymised": services.is_anonymised(person),
    }
    return render(request, "gdpr/person_erasure_requests.html", context, status=400 if form.errors else 200)


@require_POST
def person_erasure_request_decide(request, pk: int, request_pk: int):
    """Complete (anonymise) or refuse (with the reason) one open request about the person."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _person_subject()
    person = access.get_editable_or_404(subject.model, request.user, pk=pk)
    erasure_request = get_object_or_404(erasure.requests_of(person), pk=request_pk)
    form = ErasureDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("gdpr:person_erasure_requests", pk=person.pk)
    try:
        if form.cleaned_data["decision"] == "complete":
            erasure.erasure_request_complete(actor=request.user, record=person, request_pk=erasure_request.pk)
            messages.success(request, _("The person was anonymised and the request completed."))
        else:
            erasure.erasure_request_refuse(
                actor=request.user,
                record=person,
                request_pk=erasure_request.pk,
                reason=form.cleaned_data["refusal_reason"],
            )
            messages.success(request, _("The request was refused; the reason is recorded."))
    except erasure.ErasureRequestError as error:
        messages.error(request, str(error))
    return redirect("gdpr:person_erasure_requests", pk=person.pk)
