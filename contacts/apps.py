from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts import required_fields
        from contacts.forms import CompanyForm, PersonForm
        from contacts.models import Company, Lookup, Person, RequiredField, SearchField
        from crm import lookup_cache

        # Every admin-edited list of values (in any app), the search configuration and the
        # required fields: the filter bars, forms and cards read them on every page.
        lookup_cache.watch(SearchField, RequiredField)
        required_fields.register(Company, form_fields=CompanyForm._meta.fields)
        required_fields.register(Person, form_fields=PersonForm._meta.fields)
        lookup_cache.watch(*(model for model in apps.get_models() if issubclass(model, Lookup)))
