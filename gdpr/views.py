"""The GDPR pages: contacts by age, anonymise or touch (one or many), subject-access export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from crm import access
from crm.pagination import paginate
from crm.search import search
from gdpr import exports, registry, selectors, services
from gdpr.forms import AgeFilterForm, SelectionForm

PAGE_SIZE = 50


def _person_subject() -> registry.Subject:
    subject = registry.subject("person")
    if subject is None:  # contacts is not installed: there is nobody to list
        raise Http404
    return subject


def contact_age_list(request):
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _person_subject()
    form = AgeFilterForm(request.GET or None, user=request.user)
    people = selectors.people_by_age(user=request.user, subject=subject)
    if form.is_valid():
        data = form.cleaned_data
        if data["older_than"] is not None:
            people = people.filter(
                **{f"{subject.touched_field}__lt": services.retention_cutoff(data["older_than"])}
            )
        if data["younger_than"] is not None:
            people = people.filter(
                **{f"{subject.touched_field}__gte": services.retention_cutoff(data["younger_than"])}
            )
        if data["owner"] is not None:
            people = people.filter(owner=data["owner"])
        if data["consent"] and subject.consent_fields:
            consent = Q(**{subject.consent_fields[0]: data["consent"] == "yes"})
            people = people.filter(consent)
        if data["q"]:
            people = search(people, data["q"])
    context = {
        "form": form,
        "page": paginate(people, request.GET.get("page"), per_page=PAGE_SIZE),
        "touched_field": subject.touched_field,
    }
    return render(request, "gdpr/contact_age_list.html", context)


def _selected(request, subject, ids: list[int]) -> list:
    """The chosen people, each editable by the user; any other id answers 404 (nothing done)."""
    people = list(access.editable_by(subject.model.objects.filter(pk__in=ids), request.user).order_by("pk"))
    if len(people) != len(set(ids)):
        raise Http404
    return people


@require_http_methods(["GET", "POST"])
def contact_bulk(request):
    """GET: the confirm step (count, cannot be undone); POST with confirm: the action itself."""
    access.require_permission(request.user, services.MANAGE_PERMISSION)
    subject = _person_subject()
    form = SelectionForm(request.POST if request.method == "POST" else (request.GET or None))
    if not form.is_bound:
        return render(request, "gdpr/contact_bulk_confirm.html", {"form": form, "people": [], "action": ""})
    if not form.is_valid():
        if "ids" in form.errors and any(not value.isdigit() for value in form.data.getlist("ids")):
            raise Http404
        messages.error(request, _("Choose at least one person and an action."))
        return redirect("gdpr:contact_age_list")
    people = _selected(request, subject, form.cleaned_data["ids"])
    action = form.cleaned_data["action"]
    if request.method == "GET":
        return render(
            request, "gdpr/contact_bulk_confirm.html", {"form": form, "people": people, "action": action}
        )
    pks = [person.pk for person in people]
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
    return redirect("gdpr:contact_age_list")


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
