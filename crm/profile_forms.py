"""The profile form: picture, e-mail signature and reminder settings of the signed-in user."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from crm.models import User

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_SIDE = 4096  # pixels: a small file can still unpack into a huge picture
AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


class ProfileForm(forms.ModelForm):
    avatar = forms.FileField(
        label=_("Profile picture"),
        required=False,
        help_text=_("A JPEG, PNG, GIF or WebP picture of at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my picture"), required=False)

    class Meta:
        model = User
        fields = ["email_signature", "reminders_enabled", "reminder_time"]
        widgets = {
            "email_signature": forms.Textarea(attrs={"rows": 4}),
            "reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        if upload.size > AVATAR_MAX_BYTES:
            raise forms.ValidationError(_("The picture is larger than 2 MB."))
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                image_format = image.format
                width, height = image.size
                if image_format not in AVATAR_FORMATS:
                    raise forms.ValidationError(_("Upload a JPEG, PNG, GIF or WebP picture."))
                if width > AVATAR_MAX_SIDE or height > AVATAR_MAX_SIDE:
                    raise forms.ValidationError(_("The picture is too large (at most 4096 × 4096 pixels)."))
                image.load()
        except forms.ValidationError:
            raise
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
            raise forms.ValidationError(_("This file is not a picture that can be read.")) from error
        upload.seek(0)
        return upload
