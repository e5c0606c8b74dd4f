from __future__ import annotations

from django import forms
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from contacts.models import CompanyCategory
from crm.forms import VersionedModelForm
from crm.models import Team, User
from marketing.models import Campaign
from marketing.webforms.models import FIELD_CHOICES, PagePattern, WebForm

NOT_ASKED, OPTIONAL, REQUIRED = "", "optional", "required"
ASK_CHOICES = [(NOT_ASKED, _("Not asked")), (OPTIONAL, _("Optional")), (REQUIRED, _("Required"))]
HONEYPOT = "website"  # hidden from people; a bot that fills every field fills it


class WebFormForm(VersionedModelForm):
    """What a marketing user sets on a form: its fields (each not asked, optional or required),
    the answer after submitting, and its actions."""

    class Meta:
        model = WebForm
        fields = [
            "name", "kind", "is_active", "title", "introduction", "thank_you_text", "redirect_url",
            "campaign", "tag_campaign", "auto_reply", "auto_reply_subject", "auto_reply_body",
            "notify_seller", "assignment", "assign_user", "assign_team", "company_category", "owner", "team",
        ]  # fmt: skip
        widgets = {
            "introduction": forms.Textarea(attrs={"rows": 2}),
            "thank_you_text": forms.Textarea(attrs={"rows": 2}),
            "auto_reply_body": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        asked = {item["name"]: item.get("required", False) for item in self.instance.field_list()}
        if not self.instance.pk:
            asked = {"first_name": False, "last_name": True, "email": True, "message": False}
        for name, label in FIELD_CHOICES:
            initial = NOT_ASKED if name not in asked else (REQUIRED if asked[name] else OPTIONAL)
            self.fields[f"ask_{name}"] = forms.ChoiceField(
                label=_("Field: %(field)s") % {"field": label},
                choices=ASK_CHOICES,
                initial=initial,
                required=False,
            )
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user).order_by("name")
        self.fields["assign_user"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["assign_team"].queryset = Team.objects.order_by("name")
        self.fields["company_category"].queryset = CompanyCategory.objects.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        chosen = [
            {"name": name, "required": cleaned.get(f"ask_{name}") == REQUIRED}
            for name, _label in FIELD_CHOICES
            if cleaned.get(f"ask_{name}") in (OPTIONAL, REQUIRED)
        ]
        if not any(item["name"] == "email" for item in chosen):
            self.add_error(
                "ask_email", _("A form asks for the e-mail address: it is how a lead is found again.")
            )
        for item in chosen:
            if item["name"] == "email":
                item["required"] = True
        self.chosen_fields = chosen
        return cleaned

    def service_values(self) -> dict:
        return {**super().service_values(), "fields": self.chosen_fields}


class PublicSubmissionForm(forms.Form):
    """The fields a web form asks for, built from its settings, plus the honeypot."""

    LIMITS = {
        "first_name": 100,
        "last_name": 100,
        "phone": 40,
        "company_name": 200,
        "title": 150,
        "message": 5000,
    }

    def __init__(self, *args, web_form: WebForm, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(FIELD_CHOICES)
        for item in web_form.field_list():
            name, required = item["name"], bool(item.get("required"))
            if name == "email":
                field = forms.EmailField(max_length=254, required=True)
            elif name == "consent":
                field = forms.BooleanField(
                    required=required,
                    label=_(
                        "Yes, you may send me e-mail about your products "
                        "and follow my visits to your website."
                    ),
                )
            elif name == "message":
                field = forms.CharField(
                    max_length=self.LIMITS[name], required=required, widget=forms.Textarea(attrs={"rows": 4})
                )
            else:
                field = forms.CharField(max_length=self.LIMITS[name], required=required)
            if name != "consent":
                field.label = labels[name]
            self.fields[name] = field
        self.fields[HONEYPOT] = forms.CharField(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT))


class PagePatternForm(forms.ModelForm):
    class Meta:
        model = PagePattern
        fields = ["pattern", "points", "excluded"]


PagePatternFormSet = modelformset_factory(PagePattern, form=PagePatternForm, extra=3, can_delete=True)
