"""The sales board's filters and its batch message form.

The filters are a plain GET form whose choices are read once each (pipelines, owners, teams)
and validated in Python, so that a crafted value gets a message, never a 500, and costs no
extra query. Without any parameter the board shows its defaults: the first active pipeline,
everyone, this quarter, won deals shown.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opportunities.board import selectors as board
from opportunities.board.messaging import MAX_LENGTH
from opportunities.models import Pipeline

UNASSIGNED = "none"
DEFAULTS = {"period": board.PERIOD_QUARTER, "won": "on"}
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoardFilterForm(forms.Form):
    pipeline = forms.ChoiceField(label=_("Pipeline"))
    owner = forms.ChoiceField(label=_("User"), required=False)
    owner_of = forms.ChoiceField(
        label=_("Whose"),
        choices=board.OWNERS_OF,
        required=False,
        help_text=_("Whose the user and team filters mean: the customer's owner or the deal's."),
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    period = forms.ChoiceField(label=_("Closing"), choices=board.PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    won = forms.BooleanField(label=_("Won"), required=False)
    lost = forms.BooleanField(label=_("Lost"), required=False)
    unprocessed = forms.BooleanField(label=_("Unprocessed companies"), required=False)

    def __init__(self, data, *, user, **kwargs):
        if not data:
            data = DEFAULTS
        super().__init__(data, **kwargs)
        self.pipelines = {str(p.pk): p for p in Pipeline.objects.filter(is_active=True)}
        self.owners = {str(u.pk): u for u in board.owner_choices(user)}
        self.teams = {str(t.pk): t for t in board.team_choices(user)}
        self.fields["pipeline"].choices = [(pk, p.name) for pk, p in self.pipelines.items()]
        self.fields["pipeline"].required = False  # empty: the first pipeline
        self.fields["owner"].choices = [
            ("", _("Everyone")),
            (UNASSIGNED, _("Nobody (unassigned)")),
            *((pk, str(u)) for pk, u in self.owners.items()),
        ]
        self.fields["team"].choices = [("", _("Every team")), *((pk, t.name) for pk, t in self.teams.items())]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            else:
                widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"

    def clean_pipeline(self):
        chosen = self.cleaned_data.get("pipeline") or next(iter(self.pipelines), "")
        if not chosen:
            raise forms.ValidationError(_("There is no active pipeline yet."))
        return self.pipelines[chosen]

    def clean_owner_of(self):
        return self.cleaned_data.get("owner_of") or board.OWNER_OF_CUSTOMER

    def clean_period(self):
        return self.cleaned_data.get("period") or board.PERIOD_QUARTER

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == board.PERIOD_CUSTOM:
            start, end = cleaned.get("start"), cleaned.get("end")
            if start is None and end is None and not self.has_error("start") and not self.has_error("end"):
                self.add_error("start", _("Give a first day, a last day, or both."))
            elif start and end and start > end:
                self.add_error("end", _("The last day comes before the first day."))
        return cleaned

    def board_query(self, *, today=None) -> board.BoardQuery:
        """The board the valid form asks for."""
        data = self.cleaned_data
        start, end = board.period_range(
            data["period"], today=today or timezone.localdate(), start=data.get("start"), end=data.get("end")
        )
        return board.BoardQuery(
            pipeline=data["pipeline"],
            owner=self.owners.get(data.get("owner") or ""),
            unassigned=data.get("owner") == UNASSIGNED,
            team=self.teams.get(data.get("team") or ""),
            owner_of=data["owner_of"],
            start=start,
            end=end,
            show_won=data.get("won", False),
            show_lost=data.get("lost", False),
            show_unprocessed=data.get("unprocessed", False),
        )


class BoardMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_LENGTH}),
        help_text=_("A text message (SMS) of at most %(count)s characters.") % {"count": MAX_LENGTH},
    )
