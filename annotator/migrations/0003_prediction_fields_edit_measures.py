"""The model link becomes required; the label goes; uncertainty, probability/saliency maps and
the editing measures arrive. (Apart from 0002: PostgreSQL refuses ALTER TABLE while the deletes
of 0002 have pending deferred-constraint events in the same transaction.)"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0002_prediction_model_version"),
    ]

    operations = [
        migrations.AlterField(
            model_name="prediction",
            name="model_version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="predictions",
                to="mlbackend.modelversion",
            ),
        ),
        migrations.RemoveField(
            model_name="prediction",
            name="model_version_label",
        ),
        migrations.AddField(
            model_name="annotation",
            name="edit_seconds",
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name="annotation",
            name="prediction_edits",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="prediction",
            name="probability",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="prediction",
            name="saliency",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="prediction",
            name="uncertainty",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="annotation",
            constraint=models.CheckConstraint(
                condition=models.Q(("edit_seconds__gte", 0)), name="annotation_edit_seconds_min_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="prediction",
            constraint=models.UniqueConstraint(
                fields=("frame", "model_version"), name="prediction_one_per_model"
            ),
        ),
        migrations.AddConstraint(
            model_name="prediction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("uncertainty__isnull", True),
                    models.Q(("uncertainty__gte", 0), ("uncertainty__lte", 1)),
                    _connector="OR",
                ),
                name="prediction_uncertainty_0_1",
            ),
        ),
    ]
