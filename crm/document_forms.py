from django import forms
from django.utils.translation import gettext_lazy as _


class DocumentUploadForm(forms.Form):
    """One file; what it may contain is decided by crm.documents.validate_upload."""

    # Empty files pass here so that validate_upload gives the one message for them.
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        error_messages={
            "required": _("Choose a file to attach."),
            "missing": _("Choose a file to attach."),
            "invalid": _("No file arrived; please try again."),
        },
    )
