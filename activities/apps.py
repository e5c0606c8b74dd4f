from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each part of the app plugs itself in here (card panels, hooks, search), under its heading.
        # the timeline and the activity forms
        from activities.panels import register as register_timeline

        register_timeline()
        # my work and the calendar view
        # calendar feeds and invites
        from activities import calendar, services

        services.on_activity_saved(calendar.queue_invites)
        # reminders and automation rules
        from activities import rules

        rules.connect()
        # e-mail templates and the profile
        from activities import mail_views
        from contacts.models import Person
        from crm import cards
        from opportunities.models import Deal

        send_template = cards.Panel("activities/mail_panel.html", mail_views.panel_context, order=60)
        cards.register_panel(Person, send_template)
        cards.register_panel(Deal, send_template)
        # gdpr
        from activities.models import Activity
        from gdpr import registry as gdpr_registry

        for subject, lookup in (("person", "person"), ("person", "attendee_people"), ("lead", "lead")):
            gdpr_registry.register_linked(
                gdpr_registry.Linked(
                    subject=subject,
                    model=Activity,
                    lookup=lookup,
                    label=_("Activities"),
                    text_fields=("subject", "notes", "outcome", "location"),
                    export_fields=("kind", "subject", "notes", "status", "due_at", "done_at", "outcome"),
                )
            )

        # Logging an activity on a person, or with them as an attendee, touches them: the
        # retention job counts the time since (gdpr's subject "person", touched_field).
        from django.db.models import Q
        from django.utils import timezone

        def touch_people(activity, change):
            if change == "cancelled":
                return
            now = timezone.now()
            people = Q(pk__in=activity.attendee_people.values("pk"))
            if activity.person_id:
                people |= Q(pk=activity.person_id)
            Person._base_manager.filter(people, last_touched_at__lt=now).update(last_touched_at=now)

        services.on_activity_saved(touch_people)
