"""The activity types and meeting categories of seed 002 (Upsales): Phone call, E-mail, Other;
First meeting, Meeting, Outlook. Administrators edit them afterwards."""

from django.db import migrations

TYPES = ["Phone call", "E-mail", "Other"]
CATEGORIES = [("First meeting", True), ("Meeting", False), ("Outlook", False)]


def add_defaults(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    MeetingCategory = apps.get_model("activities", "MeetingCategory")
    for position, name in enumerate(TYPES):
        ActivityType.objects.get_or_create(name=name, defaults={"position": position})
    for position, (name, first) in enumerate(CATEGORIES):
        MeetingCategory.objects.get_or_create(
            name=name, defaults={"position": position, "is_first_meeting": first}
        )


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
