"""Managers see contacts by age, anonymise, touch and export a person's data (Administrators hold
every permission through crm.auth_backends.RoleBackend); Sales reps and Restricted users only when
granted in admin."""

from django.db import migrations

from crm.roles import grant_role_permissions

GDPR = ["gdpr.manage_personal_data", "gdpr.export_personal_data"]


def grant(apps, schema_editor):
    grant_role_permissions(apps, {"Manager": GDPR})


class Migration(migrations.Migration):
    dependencies = [
        ("gdpr", "0001_initial"),
        ("crm", "0005_export_and_report_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
