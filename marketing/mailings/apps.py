from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingsConfig(AppConfig):
    """E-mail campaigns to segments, sent in batches, with open, click and unsubscribe tracking."""

    name = "marketing.mailings"
    label = "mailings"
    verbose_name = _("E-mail campaigns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts import services as contact_services
        from contacts.models import Person
        from crm import cards
        from gdpr import registry as gdpr_registry
        from marketing import tabs
        from marketing.mailings import panels, services
        from marketing.mailings.models import MailEvent, Recipient

        contact_services.on_merge(services.merge_people)
        tabs.register_tab(tabs.Tab("mailings", _("E-mail campaigns"), "mailings:mailing_list", order=30))
        tabs.register_tab(tabs.Tab("segments", _("Segments"), "mailings:segment_list", order=40))
        cards.register_panel(
            Person, cards.Panel("mailings/partials/person_panel.html", panels.person_panel_context, order=75)
        )
        # A recipient row copies the person's e-mail address; its events say what they did.
        gdpr_registry.register_linked(
            gdpr_registry.Linked(
                subject="person",
                model=Recipient,
                lookup="person",
                label=_("E-mail campaigns received"),
                fields=(gdpr_registry.LinkedField(name="email", covers="email", replacement=""),),
                export_fields=(
                    "email",
                    "status",
                    "sent_at",
                    "opened_at",
                    "clicked_at",
                    "unsubscribed_at",
                    "bounced_at",
                ),
            )
        )
        gdpr_registry.register_linked(
            gdpr_registry.Linked(
                subject="person",
                model=MailEvent,
                lookup="recipient__person",
                label=_("E-mail campaign events"),
                export_fields=("kind", "url", "occurred_at"),
            )
        )
