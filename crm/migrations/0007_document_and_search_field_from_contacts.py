"""Documents and the search configuration move from contacts to the kernel.

Only Django's record of the models moves: the tables keep their names (contacts_document,
contacts_searchfield, see the models' Meta.db_table) and their rows. The two content types are
renamed in place, so their ids stay what role groups' permissions (now crm.view_document…)
and audit events point at."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import crm.models
import crm.search

MOVED_MODELS = ["document", "searchfield"]


def _move_content_types(apps, source: str, target: str) -> None:
    content_type_model = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        moved = content_type_model.objects.filter(app_label=source, model=model).first()
        if moved is None:
            continue
        # An empty twin may exist if post_migrate ran in between; the old row carries the grants.
        content_type_model.objects.filter(app_label=target, model=model).delete()
        moved.app_label = target
        moved.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def content_types_to_crm(apps, schema_editor):
    _move_content_types(apps, "contacts", "crm")


def content_types_to_contacts(apps, schema_editor):
    _move_content_types(apps, "crm", "contacts")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0006_user_start_page"),
        ("contacts", "0006_required_fields"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Document",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("object_id", models.PositiveBigIntegerField()),
                        (
                            "file",
                            models.FileField(
                                max_length=255, upload_to=crm.models.document_path, verbose_name="file"
                            ),
                        ),
                        ("name", models.CharField(max_length=255, verbose_name="file name")),
                        ("mime_type", models.CharField(max_length=100)),
                        ("size", models.PositiveBigIntegerField()),
                        ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="contenttypes.contenttype",
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "document",
                        "verbose_name_plural": "documents",
                        "db_table": "contacts_document",
                        "ordering": ["-uploaded_at"],
                        "indexes": [
                            models.Index(
                                fields=["content_type", "object_id"], name="contacts_do_content_48208d_idx"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SearchField",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "list_name",
                            models.CharField(
                                choices=crm.search.search_list_choices, max_length=20, verbose_name="list"
                            ),
                        ),
                        ("field_name", models.CharField(max_length=60, verbose_name="field")),
                        (
                            "mode",
                            models.CharField(
                                choices=[("dropdown", "Dropdown of existing values"), ("text", "Free text")],
                                default="dropdown",
                                max_length=10,
                                verbose_name="search by",
                            ),
                        ),
                        ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                    ],
                    options={
                        "verbose_name": "search field",
                        "verbose_name_plural": "search configuration",
                        "db_table": "contacts_searchfield",
                        "ordering": ["list_name", "position"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("list_name", "field_name"), name="search_field_once_per_list"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_crm, content_types_to_contacts),
    ]
