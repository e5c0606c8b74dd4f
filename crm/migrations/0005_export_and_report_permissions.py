"""The roles of the MiniCRM seed (003): a Manager has everything but the settings, so every export
and report permission; a Normal user (the "Sales rep" group) works the record cards and exports
or opens reports only when granted, to them or through a team's permission group; a Restricted
user neither.

Written out rather than looked up, as a migration records what was decided at the time; a later
export or report permission is granted in its own app's migration."""

from django.db import migrations

from crm.roles import grant_role_permissions, revoke_role_permissions

EXPORTS = [
    "contacts.export_company",
    "contacts.export_person",
    "leads.export_lead",
    "opportunities.export_deal",
]
REPORTS = ["crm.view_reports"]


def move_export_and_report_permissions(apps, schema_editor):
    grant_role_permissions(apps, {"Manager": [*EXPORTS, *REPORTS]})
    revoke_role_permissions(apps, {"Sales rep": [*EXPORTS, *REPORTS], "Restricted": [*EXPORTS, *REPORTS]})


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_team_permission_groups_and_manager_scope"),
        # The apps whose export permissions are moved, after they granted their defaults.
        ("contacts", "0002_lookup_values_and_role_permissions"),
        ("leads", "0002_lead_sources_and_role_permissions"),
        ("opportunities", "0002_default_pipelines_and_role_permissions"),
    ]

    operations = [migrations.RunPython(move_export_and_report_permissions, migrations.RunPython.noop)]
