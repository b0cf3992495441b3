# The models of `datasets.versions` take over the existing tables (created by
# datasets.0003_dataset_versions): state only, plus the content types (and so the permissions
# that point at them) renamed from app `datasets` to `versions`. No row is copied or lost.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["datasetversion", "datasetversionitem", "datasetexport"]


def content_types_to_versions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="datasets", model__in=MOVED).update(app_label="versions")


def content_types_to_datasets(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="versions", model__in=MOVED).update(app_label="datasets")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("annotator", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("datasets", "0004_versions_state_to_own_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="DatasetVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveIntegerField()),
                        ("name", models.CharField(blank=True, max_length=120)),
                        ("checksum", models.CharField(max_length=64)),
                        ("classes", models.JSONField(blank=True, default=list)),
                        ("patients", models.JSONField(blank=True, default=dict)),
                        ("stats", models.JSONField(blank=True, default=dict)),
                        ("findings", models.JSONField(blank=True, default=list)),
                        ("override_reason", models.TextField(blank=True)),
                        ("frame_count", models.PositiveIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="versions",
                                to="datasets.project",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "datasets_datasetversion",
                        "ordering": ["project", "-number"],
                    },
                ),
                migrations.CreateModel(
                    name="DatasetExport",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "format",
                            models.CharField(
                                choices=[
                                    ("layout_v1", "NerveMark layout v1"),
                                    ("coco", "COCO instances"),
                                    ("masks", "PNG class masks"),
                                    ("cvat", "CVAT for images 1.1"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("file", models.CharField(blank=True, max_length=300)),
                        ("size_bytes", models.BigIntegerField(default=0)),
                        ("sha256", models.CharField(blank=True, max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "job",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="datasets.backgroundjob",
                            ),
                        ),
                        (
                            "version",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="exports",
                                to="versions.datasetversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "datasets_datasetexport",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="DatasetVersionItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("patient_code", models.CharField(max_length=16)),
                        (
                            "split",
                            models.CharField(
                                choices=[
                                    ("unassigned", "Unassigned"),
                                    ("train", "Train"),
                                    ("val", "Validation"),
                                    ("test", "Test"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("video_id", models.PositiveIntegerField()),
                        ("frame_index", models.PositiveIntegerField()),
                        (
                            "frame",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.RESTRICT,
                                related_name="+",
                                to="datasets.frame",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.RESTRICT,
                                related_name="+",
                                to="datasets.patient",
                            ),
                        ),
                        (
                            "revision",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.RESTRICT,
                                related_name="+",
                                to="annotator.annotationrevision",
                            ),
                        ),
                        (
                            "version",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="versions.datasetversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "datasets_datasetversionitem",
                        "ordering": ["version", "split", "patient_code", "video_id", "frame_index"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="datasetversion",
                    constraint=models.UniqueConstraint(
                        fields=("project", "number"), name="version_unique_number"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="datasetexport",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("format__in", ["layout_v1", "coco", "masks", "cvat"])),
                        name="export_format_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="datasetversionitem",
                    constraint=models.UniqueConstraint(
                        fields=("version", "frame"), name="versionitem_unique_frame"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="datasetversionitem",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("split__in", ["train", "val", "test"])),
                        name="versionitem_split_assigned",
                    ),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_versions, content_types_to_datasets),
    ]
