from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import Company
from crm.models import Role, Team, User


class CompanyForm(forms.ModelForm):
    """Company fields a user may set; the version travels along to detect concurrent edits."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Company
        fields = ["name", "website", "email_domain", "owner", "team"]
        help_texts = {"email_domain": _("e.g. example.com; used to match people and leads to this company.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owners = User.objects.filter(is_active=True)
        if user.role == Role.RESTRICTED:
            # Restricted users work only their own and unassigned records.
            owners = owners.filter(pk=user.pk)
        self.fields["owner"].queryset = owners
        self.fields["team"].queryset = Team.objects.all()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            self.fields["owner"].initial = user.pk

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.instance.pk and version is None:
            raise forms.ValidationError(_("Reload the page and try again."))
        return version
