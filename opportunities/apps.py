from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts.documents import register_parent
        from crm import lookup_cache
        from opportunities import services
        from opportunities.models import Deal, Pipeline, Stage
        from opportunities.sales import admin as sales_admin  # noqa: F401  (registers the sales models in admin)
        from opportunities.sales.services import sales_order_for_won_deal

        # The pipeline and stage pickers of the filter bars and forms.
        lookup_cache.watch(Pipeline, Stage)

        # Quotes and order confirmations are stored as PDF documents on their deal.
        register_parent(Deal)

        # A won deal gets its sales order in the transaction that wins it.
        services.on_deal_won(sales_order_for_won_deal)
