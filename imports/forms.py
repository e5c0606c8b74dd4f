from django import forms
from django.utils.translation import gettext_lazy as _

from imports import mapping as mappings
from imports import readers
from imports.models import Kind, Mode, SavedMapping


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to import"),
        choices=[(value, label) for value, label in Kind.choices if value in mappings.SUPPORTED_KINDS],
    )
    file = forms.FileField(
        label=_("Spreadsheet file (CSV or XLSX)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xlsm"}),
    )
    pasted = forms.CharField(
        label=_("…or paste cells copied from a spreadsheet (with the heading row)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2_000_000,
    )

    def clean(self):
        cleaned = super().clean()
        upload, pasted = cleaned.get("file"), (cleaned.get("pasted") or "").strip()
        if not upload and not pasted:
            raise forms.ValidationError(_("Choose a file or paste cells."))
        if upload and upload.size > readers.max_file_bytes():
            self.add_error(
                "file",
                _("The file is larger than %(size)s MB: split it or ask an administrator.")
                % {"size": readers.max_file_bytes() // (1024 * 1024)},
            )
        return cleaned


class MappingForm(forms.Form):
    """One field picker per column of the file, the mode and the match key."""

    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    match_key = forms.ChoiceField(label=_("Find existing records by"), required=False)
    create_related = forms.BooleanField(label=_("Create missing companies"), required=False)
    save_as = forms.CharField(label=_("Save this mapping as"), required=False, max_length=100)

    def __init__(self, *args, job, **kwargs):
        initial = {
            "mode": job.mode,
            "match_key": job.match_key,
            "create_related": job.create_related,
            **{f"column_{index}": job.mapping.get(str(index), "") for index in range(len(job.headers))},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.job = job
        choices = mappings.field_choices(job.kind)
        self.fields["match_key"].choices = mappings.match_key_choices(job.kind)
        if job.kind != Kind.PEOPLE:
            del self.fields["create_related"]
        if job.kind in mappings.CREATE_ONLY_KINDS:
            self.fields["mode"].choices = [(Mode.CREATE, Mode.CREATE.label)]
            self.fields["match_key"].choices = [("", _("— none —"))]
        self.column_names = []
        for index, heading in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=heading, choices=choices, required=False)
            self.column_names.append(name)

    def columns(self):
        return [self[name] for name in self.column_names]

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("column_"): self.cleaned_data[name]
            for name in self.column_names
            if self.cleaned_data.get(name)
        }


class SavedMappingForm(forms.Form):
    saved = forms.ModelChoiceField(label=_("Use a saved mapping"), queryset=SavedMapping.objects.none())

    def __init__(self, *args, user, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved"].queryset = SavedMapping.objects.filter(owner=user, kind=kind)
