"""The forms of marketing's core: plans, campaigns, a campaign's to-do, a record's campaign, the
score points, the grades and the mail settings."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.images import get_image_dimensions
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activities.forms import DateTimeInput
from activities.models import ActivityType
from crm import access
from crm.forms import VersionedModelForm
from crm.models import User
from marketing import services
from marketing.models import Campaign, Grade, MarketingPlan, MarketingSettings, ScoreKind, Segment
from marketing.scoring import points_for

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _dates_in_order(form: forms.Form, cleaned: dict) -> None:
    starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
    if starts and ends and ends < starts:
        form.add_error("ends_on", _("The end comes before the start."))


class PlanForm(VersionedModelForm):
    class Meta:
        model = MarketingPlan
        fields = [
            "name", "starts_on", "ends_on", "budget", "target_leads", "target_revenue", "description",
            "owner", "team",
        ]  # fmt: skip
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        cleaned = super().clean()
        _dates_in_order(self, cleaned)
        return cleaned


class CampaignForm(VersionedModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name", "plan", "kind", "status", "starts_on", "ends_on", "budget", "actual_cost", "target_leads",
            "target_revenue", "audience", "segments", "description", "owner", "team",
        ]  # fmt: skip
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "audience": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["plan"].queryset = access.visible_to(MarketingPlan.objects.all(), user)
        # Segments are few (saved filters); a campaign keeps those it had.
        segments = access.visible_to(Segment.objects.all(), user)
        if self.instance.pk:
            segments = Segment.objects.filter(
                Q(pk__in=segments.values("pk")) | Q(pk__in=self.instance.segments.values("pk"))
            )
        self.fields["segments"].queryset = segments

    def clean(self):
        cleaned = super().clean()
        _dates_in_order(self, cleaned)
        return cleaned


class CampaignTaskForm(forms.Form):
    subject = forms.CharField(label=_("To-do"), max_length=200)
    activity_type = forms.ModelChoiceField(
        label=_("Type"), queryset=ActivityType.objects.filter(is_active=True), required=False
    )
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=DateTimeInput())


class RecordCampaignForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    converting = forms.BooleanField(label=_("It converted this record"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = access.visible_to(Campaign.objects.all(), user)


class ScoreRulesForm(forms.Form):
    """One points field per kind of event, initially what each is worth now."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in ScoreKind:
            self.fields[kind.value] = forms.IntegerField(
                label=kind.label,
                min_value=services.MIN_POINTS,
                max_value=services.MAX_POINTS,
                initial=points_for(kind.value),
            )

    def points(self) -> dict[str, int]:
        return {kind.value: self.cleaned_data[kind.value] for kind in ScoreKind}


class GradeForm(forms.Form):
    label = forms.CharField(label=_("Grade"), max_length=20)
    min_score = forms.IntegerField(label=_("From score"), min_value=-1_000_000, max_value=1_000_000)


class BaseGradeFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        grades = self.grades()
        if not grades:
            raise ValidationError(_("Keep at least one grade."))
        labels = [label for label, _score in grades]
        scores = [score for _label, score in grades]
        if len(set(labels)) != len(labels):
            raise ValidationError(_("Two grades have the same label."))
        if len(set(scores)) != len(scores):
            raise ValidationError(_("Two grades start at the same score."))

    def grades(self) -> list[tuple[str, int]]:
        return [
            (form.cleaned_data["label"].strip(), form.cleaned_data["min_score"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


GradeFormSet = forms.formset_factory(
    GradeForm,
    formset=BaseGradeFormSet,
    extra=1,
    can_delete=True,
    max_num=20,
    validate_max=True,
    absolute_max=20,
)


def grade_initial() -> list[dict]:
    return [
        {"label": grade.label, "min_score": grade.min_score} for grade in Grade.objects.order_by("-min_score")
    ]


MAX_LOGO_BYTES = 1024 * 1024
LOGO_TYPES = {"png", "jpeg", "gif", "webp"}
MAX_LOGO_SIDE = 2000


class MarketingSettingsForm(forms.ModelForm):
    class Meta:
        model = MarketingSettings
        fields = [
            "default_sender", "default_sending_user", "company_name", "company_address", "company_logo",
            "score_decay_percent",
        ]  # fmt: skip
        widgets = {"company_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_sending_user"].queryset = User.objects.filter(is_active=True).only(
            "first_name", "last_name", "username"
        )
        self.fields["score_decay_percent"].max_value = services.MAX_DECAY_PERCENT
        self.fields["score_decay_percent"].widget.attrs["max"] = services.MAX_DECAY_PERCENT

    def clean_score_decay_percent(self):
        value = self.cleaned_data["score_decay_percent"]
        if value is not None and value > services.MAX_DECAY_PERCENT:
            raise ValidationError(_("At most 100%."))
        return value

    def clean_company_logo(self):
        """A PNG, JPEG, GIF or WebP image of at most 1 MB and 2000 pixels a side (Pillow has read
        it, through Django's ImageField, before this runs)."""
        logo = self.cleaned_data.get("company_logo")
        if not logo or logo == self.instance.company_logo:
            return logo
        if logo.size > MAX_LOGO_BYTES:
            raise ValidationError(_("The logo may be at most 1 MB."))
        image = getattr(logo, "image", None)
        kind = (getattr(image, "format", "") or "").lower()
        if kind not in LOGO_TYPES:
            raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."))
        width, height = get_image_dimensions(logo)
        if not width or not height or max(width, height) > MAX_LOGO_SIDE:
            raise ValidationError(_("The logo may be at most 2000 pixels wide and high."))
        return logo
