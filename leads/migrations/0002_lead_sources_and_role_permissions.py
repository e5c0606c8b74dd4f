from django.db import migrations

from crm.roles import grant_role_permissions, model_permissions

SOURCES = ["Trade show", "Web form", "Website", "Import", "Referral", "Cold outreach", "Partner"]


def seed_sources(apps, schema_editor):
    source_model = apps.get_model("leads", "LeadSource")
    for position, name in enumerate(SOURCES):
        source_model.objects.get_or_create(name=name, defaults={"position": position})


def grant(apps, schema_editor):
    lead = model_permissions("leads", "lead")
    grant_role_permissions(
        apps,
        {
            "Manager": [*lead, "leads.export_lead", "leads.convert_lead"],
            "Sales rep": [*lead, "leads.convert_lead"],
            "Restricted": [
                *model_permissions("leads", "lead", ("view", "add", "change")),
                "leads.convert_lead",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("crm", "0002_role_groups")]

    operations = [
        migrations.RunPython(seed_sources, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
