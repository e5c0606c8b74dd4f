from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GdprConfig(AppConfig):
    name = "gdpr"
    verbose_name = _("GDPR")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The apps below gdpr registered their subjects from their own ready(), which ran first
        # (INSTALLED_APPS order): each subject's card gets the GDPR panel.
        from gdpr import panels

        panels.register()
