"""Send an e-mail template from a person or a deal card in two clicks: choose → preview → send."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from activities import templates_mail
from activities.models import EmailTemplate
from crm import access

SEND_PERMISSION = "activities.add_activity"
PANEL_TEMPLATES_SHOWN = 50


def _templates():
    return EmailTemplate.objects.filter(is_active=True)


class TemplateChoiceForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.none(),
        label=gettext_lazy("Template"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the templates offered.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = _templates()


class TemplateSendForm(TemplateChoiceForm):
    # One per preview: a second POST of the same preview sends nothing more.
    send_key = forms.UUIDField(widget=forms.HiddenInput)


def panel_context(record, user) -> dict:
    """The "Send a template" panel of a person or deal card (one query, capped)."""
    if not user.has_perm(SEND_PERMISSION):
        return {"can_send": False}
    model_name = record._meta.model_name
    return {
        "can_send": True,
        "url": reverse(f"activities:mail_{model_name}", args=[record.pk]),
        "templates": list(_templates()[:PANEL_TEMPLATES_SHOWN]),
    }


def _compose(request, *, record, person=None, deal=None) -> HttpResponse:
    context = {"record": record, "back_url": record.get_absolute_url()}
    if request.method == "POST":
        form = TemplateSendForm(request.POST)
        if form.is_valid():
            try:
                templates_mail.template_send(
                    actor=request.user,
                    template=form.cleaned_data["template"],
                    person=person,
                    deal=deal,
                    send_key=form.cleaned_data["send_key"].hex,
                )
            except templates_mail.MergeError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The e-mail is on its way; it is in the history."))
                return redirect(context["back_url"])
        return render(request, "activities/mail_compose.html", {**context, "form": form}, status=422)
    if "template" not in request.GET:
        return render(request, "activities/mail_compose.html", {**context, "form": TemplateChoiceForm()})
    form = TemplateChoiceForm(request.GET)
    if not form.is_valid():
        return render(request, "activities/mail_compose.html", {**context, "form": form}, status=422)
    template = form.cleaned_data["template"]
    try:
        mail = templates_mail.render_for(template=template, user=request.user, person=person, deal=deal)
    except templates_mail.MergeError as error:
        form.add_error(None, error.message)
        return render(request, "activities/mail_compose.html", {**context, "form": form}, status=422)
    send_form = TemplateSendForm(initial={"template": template.pk, "send_key": uuid.uuid4()})
    return render(
        request,
        "activities/mail_compose.html",
        {**context, "form": form, "mail": mail, "send_form": send_form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mail_person(request, pk: int) -> HttpResponse:
    from contacts.models import Person

    access.require_permission(request.user, SEND_PERMISSION)
    person = get_object_or_404(Person.objects.visible_to(request.user).select_related("company"), pk=pk)
    return _compose(request, record=person, person=person)


@login_required
@require_http_methods(["GET", "POST"])
def mail_deal(request, pk: int) -> HttpResponse:
    from opportunities.models import Deal

    access.require_permission(request.user, SEND_PERMISSION)
    deal = get_object_or_404(
        Deal.objects.visible_to(request.user).select_related(
            "stage", "pipeline", "company", "primary_contact"
        ),
        pk=pk,
    )
    return _compose(request, record=deal, deal=deal)
