"""Columns of the company and people exports (what the lists show, and more)."""

from django.utils.translation import gettext as _

from contacts.models import Company, Person
from crm.exports import Column, custom_field_columns, field, user, visible_only

# The linked records the people export names: its queryset flags which the user may see
# (crm.linked.annotate_visible).
PERSON_LINKS = ("company",)


def company_columns() -> list[Column]:
    return [
        field(_("Name"), "name"),
        field(_("Status"), "status__name"),
        field(_("Sector"), "sector__name"),
        field(_("Segment"), "segment__name"),
        field(_("E-mail domain"), "email_domain"),
        field(_("Website"), "website"),
        field(_("Phone"), "phone"),
        user(_("Owner"), "owner"),
        field(_("Team"), "team__name"),
        field(_("Created"), "created_at"),
        *custom_field_columns(Company),
    ]


def person_columns() -> list[Column]:
    return [
        field(_("First name"), "first_name"),
        field(_("Last name"), "last_name"),
        field(_("E-mail"), "email"),
        field(_("Phone"), "phone"),
        visible_only(field(_("Company"), "company__name"), "company"),
        field(_("Title"), "title"),
        field(_("Agrees to e-mail"), "consent_email"),
        user(_("Owner"), "owner"),
        field(_("Last touched"), "last_touched_at"),
        *custom_field_columns(Person),
    ]
