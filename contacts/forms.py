import re

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contacts import required_fields
from contacts.models import Company, Person
from crm.custom_fields import CustomFieldsFormMixin
from crm.forms import VersionedModelForm
from crm.widgets import AutocompleteSelect

DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class MinimumFieldsFormMixin:
    """A full edit form that asks for the minimum information the administrator requires of its
    kind of record (contacts/required_fields.py), read afresh for every form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self._meta.model
        for name in required_fields.required_fields_for(model):
            field = self.fields.get(name)
            if field is None or field.disabled or field.required:
                continue  # the model's own requirement (the name) keeps Django's message
            field.required = True
            field.error_messages["required"] = required_fields.required_message(model, name)


class CompanyForm(MinimumFieldsFormMixin, CustomFieldsFormMixin, VersionedModelForm):
    custom_field_model = Company
    confirm_duplicate = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label=_("Create it anyway")
    )

    class Meta:
        model = Company
        fields = [
            "name", "status", "contact_type", "business_unit", "market", "life_cycle", "sector", "segment",
            "categories", "website", "email_domain", "phone", "description", "owner", "team",
        ]  # fmt: skip
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "email_domain": _("e.g. example.com; people and leads with this domain match the company.")
        }

    def clean_email_domain(self):
        domain = self.cleaned_data["email_domain"].strip().lower().removeprefix("@")
        if domain and not DOMAIN.match(domain):
            raise forms.ValidationError(_("Enter a domain such as example.com, without http:// or @."))
        return domain

    def clean_website(self):
        website = self.cleaned_data["website"]
        return website.rstrip("/") + "/" if website and website.count("/") == 2 else website


class PersonForm(MinimumFieldsFormMixin, CustomFieldsFormMixin, VersionedModelForm):
    custom_field_model = Person
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Person
        fields = [
            "first_name", "last_name", "email", "phone", "company", "title", "business_unit", "linkedin",
            "buying_influence", "buying_influence_concept", "response_mode", "win_result",
            "consent_email", "consent_phone", "owner", "team",
        ]  # fmt: skip
        widgets = {"company": AutocompleteSelect(url=reverse_lazy("contacts:company_autocomplete"))}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Only companies the user can see may be chosen, whatever id is posted.
        self.fields["company"].queryset = Company.objects.visible_to(user)

    def clean_linkedin(self):
        url = self.cleaned_data["linkedin"]
        if url and "linkedin.com" not in url.lower():
            raise forms.ValidationError(_("Enter a LinkedIn address, e.g. https://www.linkedin.com/in/name."))
        return url


class MergeForm(forms.Form):
    """Pick the duplicate that will be merged into the record on screen (and then deleted)."""

    duplicate = forms.ModelChoiceField(
        queryset=Company.objects.none(), label=_("Duplicate to merge into this one")
    )

    def __init__(self, *args, queryset, autocomplete_url, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = queryset
        self.fields["duplicate"].widget = AutocompleteSelect(url=autocomplete_url)


class CompanyQuickForm(VersionedModelForm):
    """Status and owner, edited in place on the customer card."""

    class Meta:
        model = Company
        fields = ["status", "owner"]
