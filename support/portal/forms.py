"""The portal's forms: crispy, bootstrap 5, every field bounded."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

MAX_MESSAGE_LENGTH = 20_000


class _PortalForm(forms.Form):
    submit_label = _("Send")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class SignInForm(_PortalForm):
    submit_label = _("E-mail me a sign-in link")

    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)


class TicketForm(_PortalForm):
    submit_label = _("Send the request")

    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(
        label=_("How can we help?"), max_length=MAX_MESSAGE_LENGTH, widget=forms.Textarea(attrs={"rows": 8})
    )

    def clean_subject(self):
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError(_("Write a subject."))
        return subject


class ReplyForm(_PortalForm):
    submit_label = _("Send the reply")

    body = forms.CharField(
        label=_("Your reply"), max_length=MAX_MESSAGE_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search the answers"), max_length=200, required=False)
