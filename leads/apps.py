from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts import required_fields
        from crm import search
        from leads.filters import LeadFilter
        from leads.forms import LeadForm
        from leads.models import Lead

        # Seed 000's minimum information of a lead, editable with people's and companies'.
        required_fields.register(Lead, form_fields=LeadForm._meta.fields)
        search.register_search_list("leads", _("Leads"), Lead, LeadFilter)

        from contacts.models import Company, Person
        from crm import cards

        # The leads a company or person was converted from, on its card.
        cards.register_panel(
            Company,
            cards.Panel(
                "leads/partials/converted_leads.html",
                lambda company, user: (
                    converted_leads_panel(user=user, converted_company=company) | {"show_converted_at": True}
                ),
                order=40,
            ),
        )
        cards.register_panel(
            Person,
            cards.Panel(
                "leads/partials/converted_leads.html",
                lambda person, user: converted_leads_panel(user=user, converted_person=person),
                order=40,
            ),
        )
        # gdpr
        from gdpr import registry as gdpr_registry

        gdpr_registry.register_linked(
            gdpr_registry.Linked(
                subject="person",
                model=Lead,
                lookup="converted_person",
                label=_("Leads"),
                fields=tuple(
                    gdpr_registry.LinkedField(name, name, replacement)
                    for name, replacement in [
                        ("first_name", ""),
                        ("last_name", "Anonymised"),
                        ("email", ""),
                        ("phone", ""),
                        ("linkedin", ""),
                        ("title", ""),
                    ]
                ),
                text_fields=("description", "details"),
                export_fields=(
                    "first_name",
                    "last_name",
                    "company_name",
                    "email",
                    "phone",
                    "status",
                    "created_at",
                ),
            )
        )
        # A lead never converted is a data subject of its own (a converted one is the person's
        # copy, linked above): anonymised, touched and kept by the retention job like people.
        from django.db.models import Q

        gdpr_registry.register_subject(
            gdpr_registry.Subject(
                key="lead",
                model=Lead,
                label=_("Leads"),
                fields=(
                    gdpr_registry.PersonalField("first_name", "Anonymised", always=True),
                    gdpr_registry.PersonalField("last_name", lambda lead: f"#{lead.pk}", always=True),
                    gdpr_registry.PersonalField("email"),
                    gdpr_registry.PersonalField("phone"),
                    gdpr_registry.PersonalField("linkedin"),
                    gdpr_registry.PersonalField("title"),
                    gdpr_registry.PersonalField("company_name"),
                ),
                touched_field="updated_at",
                scope=lambda: Q(converted_person__isnull=True),
                text_fields=("description", "details"),
                unit_field="business_unit",
                company_lookup="company_name",
            )
        )


CONVERTED_LEADS_SHOWN = 20


def converted_leads_panel(*, user, **converted_into) -> dict:
    """The newest leads `user` may see that were converted into the card's record."""
    from leads.models import Lead

    leads = Lead.objects.visible_to(user).filter(**converted_into).order_by("-converted_at")
    return {"leads": leads[:CONVERTED_LEADS_SHOWN]}
