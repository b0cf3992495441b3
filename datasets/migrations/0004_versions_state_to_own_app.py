# Dataset versions moved to their own app (label `versions`). Only Django's model state moves:
# the tables keep their names and rows (the models set db_table), so nothing is copied.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0003_dataset_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="backgroundjob",
            name="worker",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="backgroundjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("selfcheck", "Worker check"),
                    ("video_process", "Video processing"),
                    ("dataset_export", "Dataset export"),
                    ("model_training", "Model training"),
                    ("model_evaluation", "Model evaluation"),
                ],
                max_length=40,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="datasetversion",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="datasetversion",
                    name="project",
                ),
                migrations.RemoveField(
                    model_name="datasetversionitem",
                    name="version",
                ),
                migrations.RemoveField(
                    model_name="datasetversionitem",
                    name="frame",
                ),
                migrations.RemoveField(
                    model_name="datasetversionitem",
                    name="patient",
                ),
                migrations.RemoveField(
                    model_name="datasetversionitem",
                    name="revision",
                ),
                migrations.DeleteModel(
                    name="DatasetExport",
                ),
                migrations.DeleteModel(
                    name="DatasetVersion",
                ),
                migrations.DeleteModel(
                    name="DatasetVersionItem",
                ),
            ],
        ),
    ]
