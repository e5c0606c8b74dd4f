"""Quotes and sales orders point at crm.Document (moved from contacts; same table, same FKs)."""

import django.db.models.deletion
from django.db import migrations, models


def _pdf_field():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to="crm.document",
        verbose_name="PDF",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_document_and_search_field_from_contacts"),
        ("opportunities", "0008_pipeline_sms_and_fixed_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="quote", name="document", field=_pdf_field()),
                migrations.AlterField(model_name="salesorder", name="document", field=_pdf_field()),
            ],
            database_operations=[],
        ),
    ]
