"""Seed 002's tracked pages: a low score for every page, high ones for pricing and thank-you pages."""

from django.db import migrations

PATTERNS = [("*", 1), ("/pricing", 10), ("*/thank-you*", 10), ("*/thanks*", 10)]


def seed(apps, schema_editor):
    PagePattern = apps.get_model("webforms", "PagePattern")
    for pattern, points in PATTERNS:
        PagePattern.objects.get_or_create(pattern=pattern, defaults={"points": points})


def unseed(apps, schema_editor):
    PagePattern = apps.get_model("webforms", "PagePattern")
    PagePattern.objects.filter(pattern__in=[pattern for pattern, _points in PATTERNS]).delete()


class Migration(migrations.Migration):
    dependencies = [("webforms", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
