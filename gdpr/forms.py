"""Forms of the GDPR pages: the contacts-by-age filter, the bulk selection, the settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm import access
from gdpr import registry
from gdpr.models import ErasureRequest

MAX_SELECTED = 500  # ticked one by one
MAX_EVERYONE = 50_000  # "all matching the filter" in one bulk action; the retention job does more


def subject_choices() -> list[tuple[str, str]]:
    return [(subject.key, subject.title) for subject in registry.subjects()]


class AgeFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    older_than = forms.IntegerField(
        label=_("Untouched for at least (months)"), min_value=0, max_value=1200, required=False
    )
    younger_than = forms.IntegerField(
        label=_("and at most (months)"), min_value=0, max_value=1200, required=False
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    company = forms.CharField(label=_("Company"), max_length=100, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    consent = forms.ChoiceField(
        label=_("Consent to e-mail"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Given")), ("no", _("Not given"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("", _("Longest untouched first")),
            ("recent", _("Touched most recently first")),
            ("name", _("Name")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = subject_choices()
        self.fields["owner"].queryset = access.visible_users(user)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )


class SelectionForm(forms.Form):
    """The people chosen on the list, and what to do with them."""

    ACTIONS = [("anonymise", _("Anonymise")), ("touch", _("Touch"))]

    action = forms.ChoiceField(choices=ACTIONS)
    kind = forms.ChoiceField(required=False)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    everyone = forms.BooleanField(required=False)  # all matching the list's filter, not `ids`
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = []
        self.fields["kind"].choices = subject_choices()

    def clean_ids(self):
        return self.cleaned_data["ids"]

    def full_clean(self):
        # The ids are free numbers here; the view resolves them through crm.access (unknown → 404).
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else self.data.get("ids", [])
        self.fields["ids"].choices = [(value, value) for value in raw]
        super().full_clean()
        if self.is_bound and not self.errors and len(self.cleaned_data["ids"]) > MAX_SELECTED:
            self.add_error("ids", _("Choose at most %(count)d people at a time.") % {"count": MAX_SELECTED})
        if (
            self.is_bound
            and not self.errors
            and not (self.cleaned_data["ids"] or self.cleaned_data["everyone"])
        ):
            self.add_error("ids", _("Choose at least one person."))


class SettingsForm(forms.Form):
    anonymised_fields = forms.MultipleChoiceField(
        label=_("Also anonymise"), required=False, widget=forms.CheckboxSelectMultiple
    )
    retention_months = forms.IntegerField(label=_("Retention period (months)"), min_value=0, max_value=1200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anonymised_fields"].choices = registry.field_choices()


class ErasureRequestForm(forms.ModelForm):
    class Meta:
        model = ErasureRequest
        fields = ["channel", "received_on", "requester", "notes"]
        widgets = {
            "received_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class ErasureDecisionForm(forms.Form):
    DECISIONS = [("complete", _("Anonymise the person")), ("refuse", _("Refuse"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    refusal_reason = forms.CharField(label=_("Reason for refusing"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not data.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", _("Give the reason for refusing."))
        return data
