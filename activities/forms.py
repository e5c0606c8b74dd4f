"""The activity forms: the full to-do/meeting form, the timeline's inline one, and completing."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from activities.models import LINKS, Activity, ActivityType
from contacts.models import Company, Person
from crm import access
from crm.forms import VersionedModelForm
from crm.widgets import AutocompleteSelect
from leads.models import Lead
from opportunities.models import Deal

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


class AutocompleteSelectMultiple(AutocompleteSelect):
    """The autocomplete picker holding several chosen records (attending contacts)."""

    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False


LINK_WIDGETS = {
    "company": AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete")),
    "person": AutocompleteSelect(url=reverse_lazy("contacts:person_autocomplete")),
    "deal": AutocompleteSelect(url=reverse_lazy("activities:activity_deal_autocomplete")),
    "lead": AutocompleteSelect(url=reverse_lazy("activities:activity_lead_autocomplete")),
}
LINK_MODELS = {"company": Company, "person": Person, "deal": Deal, "lead": Lead}


def visible_links(user) -> dict:
    """The records `user` may link an activity to, per link field."""
    return {link: model.objects.visible_to(user) for link, model in LINK_MODELS.items()}


class ActivityForm(VersionedModelForm):
    """A to-do or a meeting: links and attendees limited to what the user may see."""

    class Meta:
        model = Activity
        fields = [
            "kind", "activity_type", "meeting_category", "subject", "due_at", "all_day", "duration_minutes",
            "location", "notes", "owner", "deal", "person", "lead", "company", "attendee_people",
            "attendee_users", "send_invites",
        ]  # fmt: skip
        widgets = {
            "due_at": DateTimeInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "attendee_people": AutocompleteSelectMultiple(url=reverse_lazy("contacts:person_autocomplete")),
            **LINK_WIDGETS,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["due_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["kind"].widget = forms.RadioSelect(choices=Activity.Kind.choices)
        for link, queryset in visible_links(user).items():
            self.fields[link].queryset = queryset
        self.fields["attendee_people"].queryset = Person.objects.visible_to(user)
        self.fields["attendee_users"].queryset = access.visible_users(user).filter(is_active=True)
        self.fields["attendee_users"].widget = forms.CheckboxSelectMultiple()
        self.fields["attendee_users"].widget.choices = self.fields["attendee_users"].choices

    def clean(self):
        cleaned = super().clean()
        # Only the picker of its kind counts: a to-do has a type, a meeting a category.
        if cleaned.get("kind") == Activity.Kind.MEETING:
            cleaned["activity_type"] = None
        elif cleaned.get("kind") == Activity.Kind.TODO:
            cleaned["meeting_category"] = None
        return cleaned

    def service_values(self) -> dict:
        values = super().service_values()
        values.pop("attendee_people", None)
        values.pop("attendee_users", None)
        return values


class QuickTodoForm(forms.Form):
    """The timeline's inline "next to-do": what to do, of which type, by when, and who does it."""

    subject = forms.CharField(label=_("Next to-do"), max_length=200)
    activity_type = forms.ModelChoiceField(
        label=_("Type"), queryset=ActivityType.objects.filter(is_active=True), empty_label=None
    )
    due_at = forms.DateTimeField(
        label=_("Due"), widget=DateTimeInput(), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"]
    )
    owner = forms.ModelChoiceField(label=_("Responsible"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owners = access.visible_users(user).filter(is_active=True)
        self.fields["owner"].queryset = owners
        self.fields["owner"].initial = user.pk


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


def preset_links(params, user) -> dict:
    """The records named in the query string (?company=&deal=…), each one the user may see;
    Http404 for an id they may not (someone else's record) or that does not exist."""
    links = {}
    for link in LINKS:
        value = params.get(link, "")
        if value:
            if not value.isdigit():
                raise Http404
            links[link] = get_object_or_404(LINK_MODELS[link].objects.visible_to(user), pk=value)
    return links
