"""Who may import (seed 003): Administrators and Managers. Administrators hold every permission
through their role already; the row makes the grant visible in Django admin's groups too."""

from django.db import migrations

from crm.roles import grant_role_permissions, revoke_role_permissions

GRANTS = {"Administrator": ["imports.run_import"], "Manager": ["imports.run_import"]}


def grant(apps, schema_editor):
    grant_role_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial"), ("crm", "0002_role_groups")]

    operations = [migrations.RunPython(grant, revoke)]
