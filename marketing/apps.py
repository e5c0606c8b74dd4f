from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts import services as contact_services
        from leads import services as lead_services
        from marketing import attribution, panels, scoring

        panels.register()
        lead_services.on_lead_converted(carry_campaigns_over)
        # A merged person's score joins the survivor's; attributions link by content type.
        contact_services.on_merge(scoring.merge_people)
        contact_services.on_merge(attribution.merge_records)
        register_personal_data()


def carry_campaigns_over(*, actor, lead, person, company, deal) -> None:
    """A converted lead's campaigns become the person's and the deal's (seed 004: every lead,
    person and deal records the campaign that brought it)."""
    from marketing import attribution

    attribution.carry_over(lead, [person, deal])


def register_personal_data() -> None:
    """What marketing holds on a person (gdpr): their score events (whose detail may name a page
    or an address: cleared with the name), their score, and their campaigns — all in the
    subject-access export; anonymising clears the events' details."""
    from gdpr import registry
    from marketing.models import PersonAttribution, PersonScore, ScoreEvent

    registry.register_linked(
        registry.Linked(
            subject="person",
            model=ScoreEvent,
            lookup="person",
            label=_("Score events"),
            fields=(registry.LinkedField("detail", "last_name", ""),),
            export_fields=("kind", "points", "detail", "occurred_at"),
        )
    )
    registry.register_linked(
        registry.Linked(
            subject="person",
            model=PersonScore,
            lookup="person",
            label=_("Score"),
            export_fields=("score", "grade", "updated_at"),
        )
    )
    registry.register_linked(
        registry.Linked(
            subject="person",
            model=PersonAttribution,
            lookup="person",
            label=_("Campaigns"),
            export_fields=("campaign", "touch", "created_at"),
        )
    )
    registry.register_linked(
        registry.Linked(
            subject="lead",
            model=ScoreEvent,
            lookup="lead",
            label=_("Score events"),
            fields=(registry.LinkedField("detail", "first_name", ""),),
            export_fields=("kind", "points", "detail", "occurred_at"),
        )
    )
