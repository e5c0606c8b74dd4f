from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM settings, users and teams")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Binds every @shared_task to the configured app in web processes too.
        from crm import celery  # noqa: F401
