from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from contacts import required_fields
        from leads.forms import LeadForm
        from leads.models import Lead

        # Seed 000's minimum information of a lead, editable with people's and companies'.
        required_fields.register(Lead, form_fields=LeadForm._meta.fields)
