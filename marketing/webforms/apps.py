from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    """Public web forms with their actions, and website visit tracking."""

    name = "marketing.webforms"
    label = "webforms"
    verbose_name = _("Web forms and website tracking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from marketing import tabs
        from marketing.webforms import panels

        tabs.register_tab(tabs.Tab("forms", _("Web forms"), "webforms:form_list", order=50))
        tabs.register_tab(tabs.Tab("tracking", _("Website tracking"), "webforms:tracking", order=60))
        panels.register()
        panels.register_personal_data()
