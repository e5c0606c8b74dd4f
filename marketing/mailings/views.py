"""Pages of segments and e-mail campaigns, for holders of marketing.manage_marketing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contacts.models import Person
from crm import access, linked
from crm.exceptions import StaleRecordError
from crm.pagination import paginate
from marketing import segments
from marketing.mailings import services
from marketing.mailings.forms import EmailCampaignForm, SendForm
from marketing.mailings.models import EmailCampaign, Recipient
from marketing.models import Segment

PERMISSION = services.PERMISSION


def _version(request) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Segments


def segment_list(request):
    access.require_permission(request.user, PERMISSION)
    page = paginate(Segment.objects.visible_to(request.user).select_related("owner"), request.GET.get("page"))
    return render(request, "mailings/segment_list.html", {"page": page})


def _segment_form(request, segment: Segment | None):
    access.require_permission(request.user, PERMISSION)
    form = segments.SegmentForm(request.POST or None, instance=segment, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in ("name", "target", "description")}
        try:
            if segment is None:
                segment = segments.segment_create(
                    actor=request.user, values=values, definition=form.definition()
                )
            else:
                segment = segments.segment_update(
                    actor=request.user,
                    segment=segment,
                    values=values,
                    definition=form.definition(),
                    expected_version=_version(request),
                )
            messages.success(request, _("Segment saved."))
            return redirect("mailings:segment_detail", pk=segment.pk)
        except StaleRecordError:
            form.add_error(None, _("Someone else changed this segment meanwhile: reload it and try again."))
        except ValidationError as error:
            _form_errors(form, error)
    return render(request, "mailings/segment_form.html", {"form": form, "segment": segment})


def segment_create(request):
    return _segment_form(request, None)


def segment_update(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    return _segment_form(request, access.get_editable_or_404(Segment, request.user, pk=pk))


def segment_count(request):
    """The live count of the segment form (htmx, as the form changes)."""
    access.require_permission(request.user, PERMISSION)
    form = segments.SegmentForm(request.GET or None, user=request.user)
    result = (
        segments.counts(form.unsaved_segment(), request.user) if form.is_bound and form.is_valid() else None
    )
    return render(request, "mailings/partials/segment_count.html", {"counts": result, "form": form})


def segment_detail(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    segment = access.get_visible_or_404(Segment, request.user, pk=pk)
    people = linked.annotate_visible(
        segments.members(segment, request.user).select_related("company"), request.user, "company"
    )
    page = paginate(people, request.GET.get("page"))
    context = {
        "segment": segment,
        "page": page,
        "counts": segments.counts(segment, request.user),
        "can_edit": access.can_edit(request.user, segment),
    }
    return render(request, "mailings/segment_detail.html", context)


# E-mail campaigns


def mailing_list(request):
    access.require_permission(request.user, PERMISSION)
    mailings = EmailCampaign.objects.visible_to(request.user).select_related("campaign", "segment")
    return render(
        request, "mailings/mailing_list.html", {"page": paginate(mailings, request.GET.get("page"))}
    )


def _mailing_form(request, mailing: EmailCampaign | None):
    form = EmailCampaignForm(request.POST or None, instance=mailing, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if mailing is None:
                mailing = services.mailing_create(actor=request.user, values=values)
            else:
                mailing = services.mailing_update(
                    actor=request.user, mailing=mailing, values=values, expected_version=_version(request)
                )
            messages.success(request, _("E-mail campaign saved."))
            return redirect("mailings:mailing_detail", pk=mailing.pk)
        except StaleRecordError:
            form.add_error(None, _("Someone else changed this campaign meanwhile: reload it and try again."))
        except ValidationError as error:
            _form_errors(form, error)
    return render(request, "mailings/mailing_form.html", {"form": form, "mailing": mailing})


def mailing_create(request):
    access.require_permission(request.user, PERMISSION)
    return _mailing_form(request, None)


def mailing_update(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    return _mailing_form(request, access.get_editable_or_404(EmailCampaign, request.user, pk=pk))


def mailing_detail(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    mailing = access.get_visible_or_404(
        EmailCampaign.objects.select_related("campaign", "segment", "template", "sent_by"),
        request.user,
        pk=pk,
    )
    # Only recipients the viewer may see are listed by name.
    recipients = Recipient.objects.filter(
        email_campaign=mailing, person__in=Person.objects.visible_to(request.user).values("pk")
    ).select_related("person")
    context = {
        "mailing": mailing,
        "stats": services.stats(mailing),
        "page": paginate(recipients, request.GET.get("page")),
        "can_edit": access.can_edit(request.user, mailing),
        "send_form": SendForm(),
    }
    if mailing.status in (EmailCampaign.Status.DRAFT, EmailCampaign.Status.SCHEDULED):
        context["audience"] = services.audience(mailing, request.user)
    return render(request, "mailings/mailing_detail.html", context)


@require_POST
def mailing_test_send(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    mailing = access.get_editable_or_404(EmailCampaign, request.user, pk=pk)
    try:
        services.mailing_test_send(actor=request.user, mailing=mailing)
        messages.success(
            request, _("A test mail is on its way to %(address)s.") % {"address": request.user.email}
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("mailings:mailing_detail", pk=mailing.pk)


@require_POST
def mailing_send(request, pk: int):
    access.require_permission(request.user, PERMISSION)
    mailing = access.get_editable_or_404(EmailCampaign, request.user, pk=pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("mailings:mailing_detail", pk=mailing.pk)
    try:
        mailing = services.mailing_send(actor=request.user, mailing=mailing, at=form.cleaned_data["send_at"])
        if mailing.status == EmailCampaign.Status.SCHEDULED:
            messages.success(request, _("Scheduled."))
        else:
            messages.success(request, _("Sending has started."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("mailings:mailing_detail", pk=mailing.pk)
