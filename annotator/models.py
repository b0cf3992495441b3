"""Label classes, annotations (polygons), immutable revisions, predictions, claims, assignments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class LabelClass(models.Model):
    """One class of a project's masks; `value` is its index in exported masks (0 = background)."""

    project = models.ForeignKey(
        "datasets.Project", on_delete=models.CASCADE, related_name="label_classes"
    )
    name = models.CharField(max_length=64)
    value = models.PositiveSmallIntegerField()
    color = models.CharField(max_length=7, default="#f2c94c")  # "#rrggbb"
    # Display order in the editor and lists (reordering never changes `value`: exported masks
    # keep their meaning). A class in use is never deleted, only hidden from new drawing.
    position = models.PositiveSmallIntegerField(default=0)
    hidden = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "label classes"
        ordering = ["project", "position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="labelclass_unique_name"),
            models.UniqueConstraint(fields=["project", "value"], name="labelclass_unique_value"),
            models.CheckConstraint(
                condition=Q(value__gte=1) & Q(value__lte=254), name="labelclass_value_1_254"
            ),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="labelclass_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.value})"


class AnnotationStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AnnotationSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    MODEL = "model", "Model pre-annotation"
    PROPAGATED = "propagated", "Propagated"


class Prediction(models.Model):
    """A model version's proposal for a frame (one per frame and model), shown as a layer in the
    editor. `uncertainty` is the mean normalised binary entropy over the predicted nerve, its
    border band and every hesitant pixel (`mlbackend.inference.scores.frame_scores`): the
    annotation queue can hand out the most uncertain frames first."""

    frame = models.ForeignKey(
        "datasets.Frame", on_delete=models.CASCADE, related_name="predictions"
    )
    # A string reference: mlbackend sits above annotator and writes predictions through
    # annotator.services.predictions; annotator never imports it.
    model_version = models.ForeignKey(
        "mlbackend.ModelVersion", on_delete=models.CASCADE, related_name="predictions"
    )
    shapes = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    uncertainty = models.FloatField(null=True, blank=True)
    # Storage names of small grayscale PNGs (0..255 = 0..1): the nerve probability map, and the
    # FullGrad saliency map once someone asked for it (computed by a task, then kept).
    probability = models.CharField(max_length=300, blank=True)
    saliency = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["frame", "-created_at", "-id"]
        indexes = [models.Index(fields=["frame", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["frame", "model_version"], name="prediction_one_per_model"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True)
                | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="prediction_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=Q(uncertainty__isnull=True)
                | (Q(uncertainty__gte=0) & Q(uncertainty__lte=1)),
                name="prediction_uncertainty_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"prediction {self.pk} for frame {self.frame_id}"


class Annotation(models.Model):
    """The one current annotation of a frame; no row means "not annotated". "Nerve not visible"
    is the explicit `not_visible` flag (with no shapes); empty shapes alone mean "nothing drawn
    yet". `version` only grows, by one conditional UPDATE per change."""

    frame = models.OneToOneField(
        "datasets.Frame", on_delete=models.CASCADE, related_name="annotation"
    )
    project = models.ForeignKey(
        "datasets.Project", on_delete=models.CASCADE, related_name="annotations"
    )
    shapes = models.JSONField(default=list, blank=True)
    not_visible = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=AnnotationStatus.choices, default=AnnotationStatus.IN_PROGRESS
    )
    source = models.CharField(
        max_length=12, choices=AnnotationSource.choices, default=AnnotationSource.MANUAL
    )
    # The person who last saved shapes (reviews do not change it): whose queue a rejection joins.
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    prediction = models.ForeignKey(
        Prediction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prediction_iou = models.FloatField(null=True, blank=True)
    # How far the saved shapes are from the accepted prediction: vertices kept, moved, added and
    # deleted (annotator.geometry.vertex_edits); null when the shapes did not start from one.
    prediction_edits = models.JSONField(null=True, blank=True)
    # Seconds of active editing, summed over the editor's saves (it times itself).
    edit_seconds = models.FloatField(default=0.0)
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["frame"]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["annotator", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AnnotationStatus.values), name="annotation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=AnnotationSource.values), name="annotation_source_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="annotation_version_min_1"),
            models.CheckConstraint(
                condition=Q(edit_seconds__gte=0), name="annotation_edit_seconds_min_0"
            ),
            models.CheckConstraint(
                condition=Q(not_visible=False) | Q(shapes=[]),
                name="annotation_not_visible_has_no_shapes",
            ),
        ]

    def __str__(self) -> str:
        return f"annotation of frame {self.frame_id} v{self.version}"


class RevisionKind(models.TextChoices):
    SAVE = "save", "Saved"
    REVIEW = "review", "Reviewed"
    REOPEN = "reopen", "Reopened"


class AnnotationRevision(models.Model):
    """An immutable copy of an annotation at one version. Rows are only ever inserted."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=RevisionKind.choices, default=RevisionKind.SAVE)
    shapes = models.JSONField(default=list, blank=True)
    not_visible = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=AnnotationStatus.choices)
    source = models.CharField(max_length=12, choices=AnnotationSource.choices)
    prediction_iou = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "version"], name="revision_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"revision v{self.version} of annotation {self.annotation_id}"


class FrameClaim(models.Model):
    """Who the queue handed a frame to, until when. Expired claims are free to take."""

    frame = models.OneToOneField("datasets.Frame", on_delete=models.CASCADE, related_name="claim")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"frame {self.frame_id} claimed by {self.user_id} until {self.expires_at}"


class VideoAssignment(models.Model):
    """A video given to an annotator: its frames come first in that annotator's queue."""

    video = models.ForeignKey(
        "datasets.Video", on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["video", "user"], name="assignment_unique_user"),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id} -> user {self.user_id}"
