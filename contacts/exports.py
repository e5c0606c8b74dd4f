"""Columns of the company and people exports (what the lists show, and more)."""

from django.utils.translation import gettext as _

from contacts.models import Company, Person
from crm import custom_fields
from crm.exports import Column


def _custom_columns(model) -> list[Column]:
    return [
        Column(definition.label, lambda record, key=definition.key: (record.custom_fields or {}).get(key))
        for definition in custom_fields.definitions_for(model)
    ]


def company_columns() -> list[Column]:
    return [
        Column(_("Name"), lambda c: c.name),
        Column(_("Status"), lambda c: c.status),
        Column(_("Sector"), lambda c: c.sector),
        Column(_("Segment"), lambda c: c.segment),
        Column(_("E-mail domain"), lambda c: c.email_domain),
        Column(_("Website"), lambda c: c.website),
        Column(_("Phone"), lambda c: c.phone),
        Column(_("Owner"), lambda c: c.owner),
        Column(_("Team"), lambda c: c.team),
        Column(_("Created"), lambda c: c.created_at),
        *_custom_columns(Company),
    ]


def person_columns() -> list[Column]:
    return [
        Column(_("First name"), lambda p: p.first_name),
        Column(_("Last name"), lambda p: p.last_name),
        Column(_("E-mail"), lambda p: p.email),
        Column(_("Phone"), lambda p: p.phone),
        Column(_("Company"), lambda p: p.company),
        Column(_("Title"), lambda p: p.title),
        Column(_("Agrees to e-mail"), lambda p: p.consent_email),
        Column(_("Owner"), lambda p: p.owner),
        Column(_("Last touched"), lambda p: p.last_touched_at),
        *_custom_columns(Person),
    ]
