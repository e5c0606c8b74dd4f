from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts.models import Lookup, SearchField
        from crm import lookup_cache

        # Every admin-edited list of values (in any app) and the search configuration: the
        # filter bars and forms read them on every page.
        lookup_cache.watch(SearchField)
        lookup_cache.watch(*(model for model in apps.get_models() if issubclass(model, Lookup)))
