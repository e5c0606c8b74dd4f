from django.db import migrations, models

# Seed 000's minimum information, all required to begin with. The name of each record is the
# field its model requires: a company's name, a person's first name, a lead's last name.
MINIMUM_FIELDS = {
    "contacts.person": ["first_name", "email", "phone", "business_unit", "company", "title"],
    "contacts.company": [
        "name",
        "contact_type",
        "business_unit",
        "market",
        "life_cycle",
        "sector",
        "segment",
    ],
    "leads.lead": ["last_name", "company_name", "email", "business_unit", "source", "details"],
}


def seed_minimum_fields(apps, schema_editor):
    required_field = apps.get_model("contacts", "RequiredField")
    for target, field_names in MINIMUM_FIELDS.items():
        for field_name in field_names:
            required_field.objects.get_or_create(
                target=target, field_name=field_name, defaults={"is_required": True}
            )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_person_email_upper")]

    operations = [
        migrations.CreateModel(
            name="RequiredField",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "target",
                    models.CharField(
                        choices=[
                            ("contacts.company", "Company"),
                            ("contacts.person", "Person"),
                            ("leads.lead", "Lead"),
                        ],
                        max_length=40,
                        verbose_name="record",
                    ),
                ),
                (
                    "field_name",
                    models.CharField(
                        help_text="The field's name in the record's edit form, e.g. business_unit.",
                        max_length=60,
                        verbose_name="field",
                    ),
                ),
                (
                    "is_required",
                    models.BooleanField(
                        default=True,
                        help_text="Untick to let the forms save records without it.",
                        verbose_name="required",
                    ),
                ),
            ],
            options={
                "verbose_name": "required field",
                "verbose_name_plural": "required fields",
                "ordering": ["target", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("target", "field_name"), name="required_field_once_per_target"
                    )
                ],
            },
        ),
        migrations.RunPython(seed_minimum_fields, migrations.RunPython.noop),
    ]
