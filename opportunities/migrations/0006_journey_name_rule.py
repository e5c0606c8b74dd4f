"""The journey's name rule accepts every volume the Copper guide and the pipeline use: data (KB to
PB, with or without a space), pages, reels, boxes, files and hours of audio/video, with a hyphen,
en dash or em dash between amount, content and service; boxes and files become volume units."""

from django.db import migrations

NAME_RULE = (
    r"(?i)^\s*\d[\d\s.,]*\s*"
    r"(kb|mb|gb|tb|pb|pages?|reels?|box(es)?|files?|hours?(\s+of\s+(audio|video|audio\s*/\s*video|film|sound))?)"
    r"(\s+[-–—]\s+|\s*[–—]\s*)\S.*?(\s+[-–—]\s+|\s*[–—]\s*)\S.*$"
)
EXPLANATION = (
    "amount of data - content - service, e.g. “200GB - Movie soundfiles in different languages - "
    "preservation”, “50 000 000 pages - legal documents - digitization & preservation” or "
    "“120 reels - Radio archive - digitization”"
)
OLD_RULE = r"(?i)^\s*\d[\d\s.,]*\s*(kb|mb|gb|tb|pb|pages?)\s+-\s+\S.*\s-\s+\S.*$"
NEW_UNITS = ["boxes", "files"]


def forwards(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    VolumeUnit = apps.get_model("opportunities", "VolumeUnit")
    # Only the rule as shipped: an administrator's own rule stays theirs.
    Stage.objects.filter(
        pipeline__name="Business Development Journey", name="Qualify", name_rule=OLD_RULE
    ).update(name_rule=NAME_RULE, name_rule_explanation=EXPLANATION)
    position = VolumeUnit.objects.count()
    for offset, name in enumerate(NEW_UNITS):
        VolumeUnit.objects.get_or_create(name=name, defaults={"position": position + offset})


def backwards(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    Stage.objects.filter(
        pipeline__name="Business Development Journey", name="Qualify", name_rule=NAME_RULE
    ).update(name_rule=OLD_RULE)


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0005_deal_close_date_id")]

    operations = [migrations.RunPython(forwards, backwards)]
