"""Managers run marketing (Administrators hold every permission through
crm.auth_backends.RoleBackend); Sales reps and Restricted users only when granted in admin."""

from django.db import migrations

from crm.roles import grant_role_permissions


def grant(apps, schema_editor):
    grant_role_permissions(apps, {"Manager": ["marketing.manage_marketing"]})


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0003_manage_marketing_permission"),
        ("crm", "0005_export_and_report_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
