from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db.models import Q
from django.template import loader
from django.utils.translation import gettext_lazy as _

from crm import access
from crm.email import email_queue
from crm.models import Role, Team, User
from crm.phones import normalise_phone


class LoginForm(AuthenticationForm):
    """Django's sign-in form, saying that an e-mail address works too (seed 003)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username or e-mail")


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose mail goes through the outbox and a Celery worker."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body_text = loader.render_to_string(email_template_name, context)
        body_html = ""
        if html_email_template_name is not None:
            body_html = loader.render_to_string(html_email_template_name, context)
        email_queue(recipients=[to_email], subject=subject, body_text=body_text, body_html=body_html)


class VersionedModelForm(forms.ModelForm):
    """A form for an owned record: the version travels along (concurrent edits are refused by the
    service), owners are limited to what the user may assign, lookups to active values, phone
    numbers are normalised, and admin-defined custom fields are added when the model has them."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    phone_fields: tuple[str, ...] = ("phone",)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "owner" in self.fields:
            owners = User.objects.filter(is_active=True)
            if user.role == Role.RESTRICTED:
                # Restricted users work only their own and unassigned records.
                owners = owners.filter(pk=user.pk)
            self.fields["owner"].queryset = owners
            if not self.instance.pk:
                self.fields["owner"].initial = user.pk
        if "team" in self.fields:
            # Only teams the user may file under, and the record's own team (kept when unchanged).
            current = (
                Q(pk=self.instance.team_id) if self.instance.pk and self.instance.team_id else Q(pk__in=[])
            )
            self.fields["team"].queryset = Team.objects.filter(
                Q(pk__in=access.teams_to_file_under(user).values("pk")) | current
            )
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset.model, "is_active") and queryset.model is not User:
                # An existing record keeps values that were deactivated since it was saved.
                if not self.instance.pk:
                    current = Q(pk__in=[])
                elif isinstance(field, forms.ModelMultipleChoiceField):
                    current = Q(pk__in=getattr(self.instance, name).values("pk"))
                else:
                    current = Q(pk=getattr(self.instance, f"{name}_id", None))
                field.queryset = queryset.filter(Q(is_active=True) | current)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if hasattr(self, "custom_field_model"):
            self.add_custom_fields(self.instance if self.instance.pk else None)

    def full_clean(self):
        # A link the user cannot see (a company or contact hidden from them) is shown empty, so an
        # empty answer means "unchanged", not "remove it": saving the description of a deal must
        # not drop its hidden company. Choosing another value still replaces it.
        hidden = self._hidden_links() if self.is_bound and self.instance.pk else {}
        if hidden:
            self.data = self.data.copy()
        for name, (field, current) in hidden.items():
            self.data[self.add_prefix(name)] = str(current)
            field.queryset = field.queryset.model._default_manager.filter(pk=current)
        try:
            super().full_clean()
        finally:
            for name, (field, _current) in hidden.items():
                field.queryset = self._visible_querysets[name]  # the picker shows it empty again
                self.data[self.add_prefix(name)] = ""

    def _hidden_links(self) -> dict:
        """Single links whose current value is outside what the field offers the user and that
        the user left empty: {name: (field, current id)}."""
        hidden, self._visible_querysets = {}, {}
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField) or isinstance(
                field, forms.ModelMultipleChoiceField
            ):
                continue
            current = getattr(self.instance, f"{name}_id", None)
            if current is None or self.data.get(self.add_prefix(name)) not in (None, ""):
                continue
            if field.queryset.filter(pk=current).exists():
                continue  # visible: an empty answer clears it
            hidden[name] = (field, current)
            self._visible_querysets[name] = field.queryset
        return hidden

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.instance.pk and version is None:
            raise forms.ValidationError(_("Reload the page and try again."))
        return version

    def clean(self):
        cleaned = super().clean()
        for name in self.phone_fields:
            if name in self.fields and cleaned.get(name):
                try:
                    cleaned[name] = normalise_phone(cleaned[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned

    def service_values(self) -> dict:
        """The submitted values under model field names, for a create/update service."""
        values = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        if hasattr(self, "custom_field_model"):
            values["custom_fields"] = self.custom_values(getattr(self.instance, "custom_fields", None))
        return values


class MySettingsForm(forms.ModelForm):
    """What a user sets for themselves: the page they start on (seed 001: the sales board)."""

    class Meta:
        model = User
        fields = ["start_page"]
        widgets = {"start_page": forms.RadioSelect}
