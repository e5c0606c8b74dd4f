"""The seed's points (opened 0, clicked +5, unsubscribed -3) and four grades, editable by admins."""

from django.db import migrations

POINTS = {"email_opened": 0, "link_clicked": 5, "unsubscribed": -3, "page_visited": 1, "form_submitted": 10}
GRADES = {"A": 50, "B": 20, "C": 5, "D": -1_000_000}


def add_defaults(apps, schema_editor):
    ScoreRule = apps.get_model("marketing", "ScoreRule")
    Grade = apps.get_model("marketing", "Grade")
    for kind, points in POINTS.items():
        ScoreRule.objects.get_or_create(kind=kind, defaults={"points": points})
    if not Grade.objects.exists():
        Grade.objects.bulk_create(Grade(label=label, min_score=score) for label, score in GRADES.items())


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
