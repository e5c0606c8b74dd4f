"""Phone numbers, validated and stored in international (E.164) form."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(raw: str, region: str | None = None) -> str:
    """'070-123 45 67' → '+46701234567' (numbers without a country code are read as local to
    CRM_PHONE_REGION); raises ValidationError for what is not a possible phone number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or settings.CRM_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("Enter a valid phone number, e.g. +46 70 123 45 67."), code="invalid"
        ) from error
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number, e.g. +46 70 123 45 67."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str) -> str:
    if not stored:
        return ""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(stored, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return stored
