from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import lookup_cache, search
        from crm.documents import register_download_guard, register_parent
        from opportunities import services
        from opportunities.filters import DealFilter
        from opportunities.models import Deal, Pipeline, Stage
        from opportunities.sales import admin as sales_admin  # noqa: F401  (registers the sales models in admin)
        from opportunities.sales.services import sales_order_for_won_deal
        from opportunities.sales.snapshots import snapshot_withheld

        # The pipeline and stage pickers of the filter bars and forms.
        lookup_cache.watch(Pipeline, Stage)

        # Quotes and order confirmations are stored as PDF documents on their deal.
        register_parent(Deal)
        register_download_guard(snapshot_withheld)
        search.register_search_list("deals", _("Deals"), Deal, DealFilter)

        # A won deal gets its sales order in the transaction that wins it.
        services.on_deal_won(sales_order_for_won_deal)

        from contacts.models import Company
        from crm import cards, custom_fields

        custom_fields.register_target(Deal, _("Deal"))
        cards.register_panel(
            Company, cards.Panel("opportunities/partials/company_deals.html", company_deals_panel, order=20)
        )
        # gdpr
        from gdpr import registry as gdpr_registry

        gdpr_registry.register_hold(
            gdpr_registry.Hold(subject="person", label=_("Open deals"), condition=person_on_open_deal)
        )


# What a company's card shows of its deals: the first 50 by stage kind (open ones first) and
# expected close date.
COMPANY_DEALS_SHOWN = 50


def company_deals_panel(company, user) -> dict:
    """The deals of `company` that `user` may see, for its card."""
    from opportunities.models import Deal

    deals = (
        Deal.objects.visible_to(user)
        .filter(company=company)
        .select_related("stage", "owner")
        .order_by("stage__kind", "expected_close_date")
    )
    return {"deals": deals[:COMPANY_DEALS_SHOWN]}


def person_on_open_deal():
    """A person is kept from the retention job while a deal they are the primary contact or a
    contact of is open (an expression over Person rows, for gdpr.registry.Hold)."""
    from django.db.models import Exists, OuterRef

    from opportunities.models import Deal, DealContact, Stage

    open_deals = Deal.objects.filter(stage__kind=Stage.Kind.OPEN)
    return Exists(open_deals.filter(primary_contact=OuterRef("pk"))) | Exists(
        DealContact.objects.filter(person=OuterRef("pk"), deal__stage__kind=Stage.Kind.OPEN)
    )
