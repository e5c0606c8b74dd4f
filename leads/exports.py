from django.utils.translation import gettext as _

from crm.exports import Column


def lead_columns() -> list[Column]:
    return [
        Column(_("First name"), lambda lead: lead.first_name),
        Column(_("Last name"), lambda lead: lead.last_name),
        Column(_("Company"), lambda lead: lead.company_name),
        Column(_("E-mail"), lambda lead: lead.email),
        Column(_("Phone"), lambda lead: lead.phone),
        Column(_("Source"), lambda lead: lead.source),
        Column(_("Details"), lambda lead: lead.details),
        Column(_("Status"), lambda lead: lead.get_status_display()),
        Column(_("Score"), lambda lead: lead.score),
        Column(_("Grade"), lambda lead: lead.grade),
        Column(_("Owner"), lambda lead: lead.owner),
        Column(_("Created"), lambda lead: lead.created_at),
    ]
