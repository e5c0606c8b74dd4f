"""The role groups' permissions on activities (seed 003): Managers and Sales reps add, change
and delete to-dos and meetings; Restricted users add and change them (on the records they work)
but do not delete them. Administrators hold every permission through their role."""

from django.db import migrations

from crm.roles import grant_role_permissions, model_permissions


def grant(apps, schema_editor):
    activity = model_permissions("activities", "activity")
    grant_role_permissions(
        apps,
        {
            "Manager": activity,
            "Sales rep": activity,
            "Restricted": model_permissions("activities", "activity", ("view", "add", "change")),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_default_types_and_categories"), ("crm", "0002_role_groups")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
