"""The agents' ticket forms: the ticket itself (pickers over companies, people and deals are
autocompletes scoped to what the user sees), the reply and the note, quick status and assignee
changes, watchers, merging and logging a call."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, Person
from crm.forms import VersionedModelForm
from crm.models import User
from crm.widgets import AutocompleteSelect
from opportunities.models import Deal
from support.models import Queue, Ticket
from support.services import CallDirection

KEEP = ""
REPLY_STATUSES = [
    (KEEP, _("Keep the status")),
    (Ticket.Status.WAITING, _("Waiting on customer")),
    (Ticket.Status.RESOLVED, _("Resolved")),
]


class TicketForm(VersionedModelForm):
    """A ticket's fields as staff file or edit it; the SLA clock and assignment rules are the
    services'. The team follows the queue, so it is not offered."""

    phone_fields = ()

    class Meta:
        model = Ticket
        fields = [
            "subject", "description", "company", "contact", "requester_email", "priority", "status",
            "channel", "queue", "owner", "deal", "product",
        ]  # fmt: skip
        widgets = {
            "company": AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete")),
            "contact": AutocompleteSelect(url=reverse_lazy("contacts:person_autocomplete")),
            "deal": AutocompleteSelect(url=reverse_lazy("activities:activity_deal_autocomplete")),
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"owner": _("Assignee")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Only records the user can see may be chosen, whatever id is posted.
        self.fields["company"].queryset = Company.objects.visible_to(user)
        self.fields["contact"].queryset = Person.objects.visible_to(user)
        self.fields["deal"].queryset = Deal.objects.visible_to(user)
        current_queue = self.instance.queue_id if self.instance.pk else None
        self.fields["queue"].queryset = Queue.objects.filter(is_active=True) | Queue.objects.filter(
            pk=current_queue
        )
        self.fields["owner"].required = False
        self.fields["owner"].help_text = _("Left empty, the queue's assignment rule picks an agent.")
        if not self.instance.pk:
            self.fields["owner"].initial = None
            self.fields["status"].choices = [
                (value, label)
                for value, label in Ticket.Status.choices
                if value in (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING)
            ]

    def clean(self):
        cleaned = super().clean()
        named = cleaned.get("company") or cleaned.get("contact") or cleaned.get("requester_email")
        # A hidden company or contact kept from before (crm.forms) names the customer too.
        kept = self.instance.pk and (self.instance.company_id or self.instance.contact_id)
        if not named and not kept:
            self.add_error("company", _("Name the customer: a company, a contact or the requester's e-mail."))
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 5}), max_length=50_000
    )
    status = forms.ChoiceField(label=_("Then"), choices=REPLY_STATUSES, required=False)

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message."))
        return body


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=50_000,
        help_text=_("Only colleagues see it. Write @username to notify a colleague."),
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a note."))
        return body


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Unassigned")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )


class WatcherForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Colleague"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )


class MergeForm(forms.Form):
    duplicate = forms.IntegerField(
        label=_("Number of the duplicate ticket"),
        min_value=1,
        max_value=2**62,
        help_text=_("Its conversation, watchers and documents move to this ticket; it is closed."),
    )


class CallForm(forms.Form):
    direction = forms.ChoiceField(label=_("Call"), choices=CallDirection.CHOICES)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=24 * 60, initial=5
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=2000)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000
    )
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Adds a call to your callback list."),
    )
