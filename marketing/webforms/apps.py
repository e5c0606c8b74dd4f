from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    """Public web forms with their actions, and website visit tracking."""

    name = "marketing.webforms"
    label = "webforms"
    verbose_name = _("Web forms and website tracking")
    default_auto_field = "django.db.models.BigAutoField"
