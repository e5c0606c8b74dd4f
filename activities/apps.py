from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each part of the app plugs itself in here (card panels, hooks, search), under its heading.
        # the timeline and the activity forms
        # my work and the calendar view
        # calendar feeds and invites
        # reminders and automation rules
        # e-mail templates and the profile
        pass
