from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingsConfig(AppConfig):
    """E-mail campaigns to segments, sent in batches, with open, click and unsubscribe tracking."""

    name = "marketing.mailings"
    label = "mailings"
    verbose_name = _("E-mail campaigns")
    default_auto_field = "django.db.models.BigAutoField"
