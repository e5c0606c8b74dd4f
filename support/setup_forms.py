"""The forms of customer service's set-up (queues, SLA policies with one row of targets per
priority, business hours and holidays) and of contracts and warranties (a company picker that is
an autocomplete over the companies the user sees)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contacts.models import Company
from crm.forms import VersionedModelForm
from crm.widgets import AutocompleteSelect
from support.models import Contract, Priority, Queue, SlaPolicy, SlaTarget

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [
    (1, _("Monday")), (2, _("Tuesday")), (3, _("Wednesday")), (4, _("Thursday")), (5, _("Friday")),
    (6, _("Saturday")), (7, _("Sunday")),
]  # fmt: skip


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _one_default(form: forms.ModelForm, message) -> bool:
    """The partial unique constraint's rule as a clear form error: one default at a time."""
    if not form.cleaned_data.get("is_default"):
        return False
    current = type(form.instance).objects.filter(is_default=True).exclude(pk=form.instance.pk).first()
    if current is not None:
        raise forms.ValidationError(message % {"name": current.name})
    return True


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = ["name", "team", "assignment", "email_address", "is_default", "is_active"]

    def clean_is_default(self):
        from support.setup import QUEUE_DEFAULT_TAKEN

        return _one_default(self, QUEUE_DEFAULT_TAKEN)


class PolicyForm(forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = SlaPolicy
        fields = ["name", "is_default", "uses_business_hours", "working_days", "day_starts", "day_ends",
                  "time_zone"]  # fmt: skip
        widgets = {"day_starts": TIME, "day_ends": TIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["working_days"].initial = [1, 2, 3, 4, 5]

    def clean_is_default(self):
        from support.setup import POLICY_DEFAULT_TAKEN

        return _one_default(self, POLICY_DEFAULT_TAKEN)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("uses_business_hours"):
            starts, ends = cleaned.get("day_starts"), cleaned.get("day_ends")
            if not cleaned.get("working_days"):
                self.add_error("working_days", _("Choose the working days."))
            if not starts or not ends:
                self.add_error("day_starts", _("Business hours need a start and an end."))
            elif ends <= starts:
                self.add_error("day_ends", _("The day ends after it starts."))
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class TargetForm(forms.Form):
    """One priority's targets; both left empty: the priority has no target."""

    priority = forms.ChoiceField(choices=Priority.choices, widget=forms.HiddenInput)
    first_response_minutes = forms.IntegerField(
        label=_("First response within (minutes)"), min_value=1, max_value=525_600, required=False
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution within (minutes)"), min_value=1, max_value=5_256_000, required=False
    )

    def clean(self):
        cleaned = super().clean()
        first, resolution = cleaned.get("first_response_minutes"), cleaned.get("resolution_minutes")
        if (first is None) != (resolution is None) and not self.errors:
            raise forms.ValidationError(_("Give both targets, or neither."))
        if first and resolution and resolution < first:
            self.add_error("resolution_minutes", _("Resolution cannot come before the first response."))
        return cleaned

    @property
    def priority_label(self) -> str:
        value = self["priority"].value()
        return Priority(value).label if value in Priority.values else ""


class BaseTargetFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        priorities = [form.cleaned_data.get("priority") for form in self.forms]
        if sorted(priorities) != sorted(Priority.values):
            raise forms.ValidationError(_("One row per priority."))

    def targets(self) -> dict[str, tuple[int, int]]:
        return {
            form.cleaned_data["priority"]: (
                form.cleaned_data["first_response_minutes"],
                form.cleaned_data["resolution_minutes"],
            )
            for form in self.forms
            if form.cleaned_data.get("first_response_minutes")
        }


TargetFormSet = forms.formset_factory(
    TargetForm, formset=BaseTargetFormSet, extra=0, min_num=4, max_num=4, validate_max=True
)


def target_initial(policy: SlaPolicy | None) -> list[dict]:
    current = {}
    if policy is not None and policy.pk:
        current = {target.priority: target for target in SlaTarget.objects.filter(policy=policy)}
    return [
        {
            "priority": priority,
            "first_response_minutes": getattr(current.get(priority), "first_response_minutes", None),
            "resolution_minutes": getattr(current.get(priority), "resolution_minutes", None),
        }
        for priority in reversed(Priority.values)
    ]


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


class BaseHolidayFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        dates = [form.cleaned_data["date"] for form in self.kept()]
        if len(dates) != len(set(dates)):
            raise forms.ValidationError(_("Each holiday date only once."))

    def kept(self) -> list:
        return [
            form
            for form in self.forms
            if form.cleaned_data.get("date") and not form.cleaned_data.get("DELETE")
        ]

    def holidays(self) -> list[tuple]:
        return [(form.cleaned_data["date"], form.cleaned_data.get("name", "")) for form in self.kept()]


HolidayFormSet = forms.formset_factory(
    HolidayForm, formset=BaseHolidayFormSet, extra=3, can_delete=True, max_num=366, validate_max=True
)


def holiday_initial(policy: SlaPolicy | None) -> list[dict]:
    if policy is None or not policy.pk:
        return []
    return [{"date": holiday.date, "name": holiday.name} for holiday in policy.holidays.all()]


class ContractForm(VersionedModelForm):
    phone_fields = ()

    class Meta:
        model = Contract
        fields = ["company", "kind", "name", "product", "starts_on", "ends_on", "sla_policy", "remind_days",
                  "notes", "owner", "team"]  # fmt: skip
        widgets = {
            "company": AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete")),
            "starts_on": DATE,
            "ends_on": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["company"].queryset = Company.objects.visible_to(user)

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end comes before the start."))
        return cleaned


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    expiring = forms.TypedChoiceField(
        label=_("Ends within"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any time")), (30, _("30 days")), (60, _("60 days")), (90, _("90 days"))],
    )
    include_ended = forms.BooleanField(label=_("Include ended"), required=False)
