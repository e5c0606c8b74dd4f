"""The Business Development Journey's gates as the Copper guide words them (seed 000):

- Identify: "a clear need for one or all of Piql Services", "access to finance a potential project
  with us" (ticks), and "they belong to one of our prioritised verticals, IF NOT: add the reason
  for adding them under Description" (the vertical is a prioritised one, or the description is
  filled in); the verticals shipped in 0002 are the prioritised ones until an administrator says
  otherwise.
- Qualify: "a valid contact person" (a primary contact with a name and contact details, from the
  deal's company) instead of any primary contact, and "a clear use-case" (the field).
- Develop: "definition of business case" is the business case field, no longer a tick.

Only stages as shipped change: an administrator's own requirements stay theirs.
"""

from django.db import migrations, models

JOURNEY = "Business Development Journey"
SHIPPED_VERTICALS = [
    "Archives", "Libraries", "Media & broadcasting", "Film", "Legal & courts", "Healthcare", "Government",
]  # fmt: skip
IDENTIFY_CRITERIA = [
    "There is a clear need for one or all of our services",
    "The customer has access to finance for a project with us",
]
IDENTIFY_REQUIRED = ["prioritised_vertical|description"]
QUALIFY_OLD = ["company", "primary_contact", "expected_close_date", "value", "volume", "sector"]
QUALIFY_NEW = ["company", "contact_person", "expected_close_date", "value", "volume", "sector", "use_case"]
BUSINESS_CASE_TICK = "The business case is defined"


def _stage(apps, name):
    Stage = apps.get_model("opportunities", "Stage")
    return Stage.objects.filter(pipeline__name=JOURNEY, name=name).first()


def forwards(apps, schema_editor):
    Vertical = apps.get_model("opportunities", "Vertical")
    StageCriterion = apps.get_model("opportunities", "StageCriterion")
    Vertical.objects.filter(name__in=SHIPPED_VERTICALS).update(is_prioritised=True)

    identify = _stage(apps, "Identify")
    if identify is not None and not identify.required_fields and not identify.criteria.exists():
        identify.required_fields = IDENTIFY_REQUIRED
        identify.save(update_fields=["required_fields"])
        for position, text in enumerate(IDENTIFY_CRITERIA):
            StageCriterion.objects.create(stage=identify, text=text, position=position)

    qualify = _stage(apps, "Qualify")
    if qualify is not None and qualify.required_fields == QUALIFY_OLD:
        qualify.required_fields = QUALIFY_NEW
        qualify.save(update_fields=["required_fields"])

    develop = _stage(apps, "Develop")
    if develop is not None and develop.criteria.filter(text=BUSINESS_CASE_TICK).exists():
        develop.criteria.filter(text=BUSINESS_CASE_TICK).delete()
        develop.required_fields = [*(develop.required_fields or []), "business_case"]
        develop.save(update_fields=["required_fields"])


def backwards(apps, schema_editor):
    StageCriterion = apps.get_model("opportunities", "StageCriterion")
    identify = _stage(apps, "Identify")
    if identify is not None and identify.required_fields == IDENTIFY_REQUIRED:
        identify.required_fields = []
        identify.save(update_fields=["required_fields"])
        identify.criteria.filter(text__in=IDENTIFY_CRITERIA).delete()
    qualify = _stage(apps, "Qualify")
    if qualify is not None and qualify.required_fields == QUALIFY_NEW:
        qualify.required_fields = QUALIFY_OLD
        qualify.save(update_fields=["required_fields"])
    develop = _stage(apps, "Develop")
    if develop is not None and "business_case" in (develop.required_fields or []):
        develop.required_fields = [name for name in develop.required_fields if name != "business_case"]
        develop.save(update_fields=["required_fields"])
        StageCriterion.objects.create(stage=develop, text=BUSINESS_CASE_TICK, position=2)


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0006_journey_name_rule")]

    operations = [
        migrations.AddField(
            model_name="vertical",
            name="is_prioritised",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "One of the verticals the company prioritises: a deal in it needs no reason in its "
                    "description to enter a stage that asks for a prioritised vertical or a reason."
                ),
                verbose_name="prioritised",
            ),
        ),
        migrations.AlterField(
            model_name="stage",
            name="required_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "What a deal must have to enter this stage: company, primary_contact, contact_person, "
                    "expected_close_date, value, volume, sector, vertical, prioritised_vertical, business_unit, "
                    "use_case, business_case, probability, lost_reason, description. Write “a|b” when either "
                    "one will do, e.g. “prioritised_vertical|description”."
                ),
                verbose_name="required fields",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
