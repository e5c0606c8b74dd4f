"""Forms of e-mail campaigns (the segment form lives in marketing.segments)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import EmailTemplate
from marketing.mailings.models import EmailCampaign
from marketing.models import Campaign, Segment


class EmailCampaignForm(forms.ModelForm):
    class Meta:
        model = EmailCampaign
        fields = ["name", "campaign", "segment", "template", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Campaigns and segments are few (a marketing team's own), read through visibility.
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user)
        self.fields["segment"].queryset = Segment.objects.visible_to(user)
        self.fields["template"].queryset = EmailTemplate.objects.filter(is_active=True)
        self.fields["subject"].required = self.fields["body"].required = False


class SendForm(forms.Form):
    """Send now (no time) or at a time in the future."""

    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty to send now."),
    )

    def clean_send_at(self):
        value = self.cleaned_data.get("send_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future, or leave it empty to send now."))
        return value
