from django.utils.translation import gettext as _

from crm.exports import Column, display, field, user
from leads.models import Lead


def lead_columns() -> list[Column]:
    return [
        field(_("First name"), "first_name"),
        field(_("Last name"), "last_name"),
        field(_("Company"), "company_name"),
        field(_("E-mail"), "email"),
        field(_("Phone"), "phone"),
        field(_("Source"), "source__name"),
        field(_("Details"), "details"),
        display(_("Status"), "status", Lead.Status.choices),
        field(_("Score"), "score"),
        field(_("Grade"), "grade"),
        user(_("Owner"), "owner"),
        field(_("Created"), "created_at"),
    ]
