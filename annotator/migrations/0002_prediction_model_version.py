"""Predictions point at the model version that made them (the free-text label goes).

Rows from before carried only a label and no model (the demo's "demo ground truth" copies of
annotations): no model made them, so they are deleted; an annotation that accepted one keeps
its shapes and its IoU, its `prediction` link becomes null."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_predictions_without_model(apps, schema_editor):
    Prediction = apps.get_model("annotator", "Prediction")
    Prediction.objects.filter(model_version__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0001_initial"),
        ("datasets", "0005_queue_order_preannotation_jobs"),
        ("mlbackend", "0001_training_models_registry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="prediction",
            name="model_version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="predictions",
                to="mlbackend.modelversion",
            ),
        ),
        migrations.RunPython(drop_predictions_without_model, migrations.RunPython.noop),
    ]
