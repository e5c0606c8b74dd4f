from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm import listings

        # Registers the batch task and the full-account export with crm.outbox, so a worker can run them.
        from imports import exports, services  # noqa: F401

        # "Import" beside each list's "New …" (seed 003), for who may import.

        for page, kind in (
            ("contacts:company_list", "companies"),
            ("contacts:person_list", "people"),
            ("leads:lead_list", "leads"),
            ("opportunities:deal_list", "deals"),
        ):
            listings.register_list_action(
                page,
                listings.ListAction(_("Import"), "imports:job_create", f"kind={kind}", "imports.run_import"),
            )
        # And inside the "New customer" form (seed 003): a few rows pasted, thousands uploaded.
        for page, kind in (("contacts:company_create", "companies"), ("contacts:person_create", "people")):
            listings.register_list_action(
                page,
                listings.ListAction(
                    _("Many at once? Import a spreadsheet"),
                    "imports:job_create",
                    f"kind={kind}",
                    "imports.run_import",
                ),
            )
