"""The staging rows made cheaper to write twice (staged by COPY, then given their outcome).

The index on ``job`` alone goes: the unique constraint's (job, number) serves every query by job.
Pages are filled to half when rows are staged, so that noting a row's outcome can write the new
row version on the same page without touching the indexes (a HOT update: none of the columns
the outcome sets is indexed); a full page makes PostgreSQL move the row and index it again.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_account_export_failed_jobs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importrow",
            name="job",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="rows",
                to="imports.importjob",
            ),
        ),
        migrations.RunSQL(
            "ALTER TABLE imports_importrow SET (fillfactor = 50)",
            "ALTER TABLE imports_importrow RESET (fillfactor)",
        ),
    ]
