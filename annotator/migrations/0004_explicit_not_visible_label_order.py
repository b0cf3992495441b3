""" "Nerve not visible" becomes an explicit flag; label classes get a display order and can be
hidden.

Before, empty shapes meant "not visible". Rows saved that way as a finished answer (submitted or
approved) become not visible; empty in-progress or rejected ones stay just empty (nobody chose
"not visible" for them: deleting every polygon used to save that by accident). Revisions follow
the same rule. Label classes keep their mask `value` and are ordered by it to begin with."""

from django.conf import settings
from django.db import migrations, models

FINISHED = ("submitted", "approved")


def explicit_not_visible(apps, schema_editor):
    for name in ("Annotation", "AnnotationRevision"):
        model = apps.get_model("annotator", name)
        model.objects.filter(shapes=[], status__in=FINISHED).update(not_visible=True)
    LabelClass = apps.get_model("annotator", "LabelClass")
    for label in LabelClass.objects.all():
        label.position = label.value
        label.save(update_fields=["position"])


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0003_prediction_fields_edit_measures"),
        ("datasets", "0005_queue_order_preannotation_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="labelclass",
            options={"ordering": ["project", "position", "value"]},
        ),
        migrations.AddField(
            model_name="annotation",
            name="not_visible",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="annotationrevision",
            name="not_visible",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="labelclass",
            name="hidden",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="labelclass",
            name="position",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="annotationrevision",
            name="kind",
            field=models.CharField(
                choices=[("save", "Saved"), ("review", "Reviewed"), ("reopen", "Reopened")],
                default="save",
                max_length=8,
            ),
        ),
        migrations.RunPython(explicit_not_visible, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="annotation",
            constraint=models.CheckConstraint(
                condition=models.Q(("not_visible", False), ("shapes", []), _connector="OR"),
                name="annotation_not_visible_has_no_shapes",
            ),
        ),
    ]
