from django.db import migrations

from crm.roles import ROLE_GROUP_NAMES


def create_role_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name in ROLE_GROUP_NAMES:
        group_model.objects.get_or_create(name=name)
    apps.get_model("crm", "OrganisationSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
