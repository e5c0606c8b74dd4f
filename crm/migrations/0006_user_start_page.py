from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_export_and_report_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="start_page",
            field=models.CharField(
                choices=[("dashboard", "Dashboard"), ("opportunities:board", "Sales board")],
                default="dashboard",
                help_text="The page opened at sign-in and by the CRM logo.",
                max_length=40,
                verbose_name="start page",
            ),
        ),
    ]
