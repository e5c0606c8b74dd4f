"""A default queue and SLA policy, so tickets work before anyone sets support up, and the
permission to set it up for Managers (Administrators hold every permission through
crm.auth_backends.RoleBackend; agents of any role work tickets through crm.access)."""

import datetime

from django.db import migrations

from crm.roles import grant_role_permissions

# Minutes of business hours (Monday to Friday, 8 to 17): first response, resolution.
TARGETS = {"urgent": (60, 480), "high": (240, 1080), "normal": (540, 2700), "low": (1080, 5400)}


def defaults(apps, schema_editor):
    grant_role_permissions(apps, {"Manager": ["support.manage_support"]})
    queue_model = apps.get_model("support", "Queue")
    policy_model = apps.get_model("support", "SlaPolicy")
    target_model = apps.get_model("support", "SlaTarget")
    if not queue_model.objects.exists():
        queue_model.objects.create(name="Support", is_default=True)
    if not policy_model.objects.exists():
        policy = policy_model.objects.create(
            name="Standard",
            is_default=True,
            uses_business_hours=True,
            working_days=[1, 2, 3, 4, 5],
            day_starts=datetime.time(8),
            day_ends=datetime.time(17),
        )
        target_model.objects.bulk_create(
            target_model(
                policy=policy, priority=priority, first_response_minutes=first, resolution_minutes=resolution
            )
            for priority, (first, resolution) in TARGETS.items()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        ("crm", "0005_export_and_report_permissions"),
    ]

    operations = [migrations.RunPython(defaults, migrations.RunPython.noop)]
