from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    """Customer service: tickets, queues, SLA policies, contracts and warranties."""

    name = "support"
    verbose_name = _("Support")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from gdpr import registry as gdpr_registry
        from support.models import Ticket, TicketMessage

        # A ticket names its contact and may copy the address they wrote from; the conversation
        # holds what they wrote (their old name, address and phone are cut out of it).
        gdpr_registry.register_linked(
            gdpr_registry.Linked(
                subject="person",
                model=Ticket,
                lookup="contact",
                label=_("Support tickets"),
                fields=(gdpr_registry.LinkedField(name="requester_email", covers="email", replacement=""),),
                text_fields=("subject", "description"),
                export_fields=("subject", "description", "status", "priority", "channel", "created_at"),
            )
        )
        gdpr_registry.register_linked(
            gdpr_registry.Linked(
                subject="person",
                model=TicketMessage,
                lookup="author_person",
                label=_("Messages to customer service"),
                fields=(gdpr_registry.LinkedField(name="author_email", covers="email", replacement=""),),
                text_fields=("body", "body_html"),
                export_fields=("body", "channel", "created_at"),
            )
        )

        # support: tickets — their card panels on companies and people, and attachments.
        from crm import documents
        from support import panels

        panels.register()
        documents.register_parent(Ticket)

        # support: SLA, contracts, workload and reports — the company card's contracts.
        from contacts.models import Company
        from crm import cards
        from support.contracts_views import company_contracts_panel

        contracts_panel = cards.Panel(
            "support/sla/partials/company_contracts.html", company_contracts_panel, order=45
        )
        cards.register_panel(Company, contracts_panel)
