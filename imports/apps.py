from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import listings

        # Registers the batch task with crm.outbox, so a worker can run it.
        from imports import services  # noqa: F401

        # "Import" beside each list's "New …" (seed 003), for who may import.

        for page, kind in (
            ("contacts:company_list", "companies"),
            ("contacts:person_list", "people"),
            ("leads:lead_list", "leads"),
        ):
            listings.register_list_action(
                page,
                listings.ListAction(_("Import"), "imports:job_create", f"kind={kind}", "imports.run_import"),
            )
