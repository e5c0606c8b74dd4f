from django.db import migrations

from crm.roles import grant_role_permissions, model_permissions


def grant(apps, schema_editor):
    company = model_permissions("contacts", "company")
    grant_role_permissions(
        apps,
        {
            "Manager": [*company, "contacts.export_company"],
            "Sales rep": company,
            "Restricted": model_permissions("contacts", "company", ("view", "add", "change")),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial"), ("crm", "0002_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
