"""Projects, memberships, patients, videos, frames, uploads, background jobs and the audit log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    ANNOTATOR = "annotator", "Annotator"
    DATA_MANAGER = "data_manager", "Data manager"
    ML_STAFF = "ml_staff", "ML staff"


class Split(models.TextChoices):
    UNASSIGNED = "unassigned", "Unassigned"
    TRAIN = "train", "Train"
    VAL = "val", "Validation"
    TEST = "test", "Test"


class QueueOrder(models.TextChoices):
    """How the annotation queue orders unannotated frames (a project setting)."""

    VIDEO = "video", "Video order"
    UNCERTAIN = "uncertain", "Most uncertain first"
    RANDOM = "random", "Random"


class Project(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    queue_order = models.CharField(
        max_length=12, choices=QueueOrder.choices, default=QueueOrder.VIDEO
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class Patient(models.Model):
    """A pseudonymous patient. The split lives here and nowhere else."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="patients")
    code = models.CharField(max_length=16)
    split = models.CharField(max_length=12, choices=Split.choices, default=Split.UNASSIGNED)
    # Set when a model was evaluated on this patient as a test patient: from then on, moving
    # the patient out of test needs an explicit confirmation (those results become contaminated).
    test_evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="patient_unique_code"),
            models.CheckConstraint(condition=Q(split__in=Split.values), name="patient_split_valid"),
        ]

    def __str__(self) -> str:
        return self.code


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class JobKind(models.TextChoices):
    """Every kind of queued work; a new job kind is added here (and gets a migration)."""

    SELFCHECK = "selfcheck", "Worker check"
    VIDEO_PROCESS = "video_process", "Video processing"
    DATASET_EXPORT = "dataset_export", "Dataset export"
    MODEL_TRAINING = "model_training", "Model training"
    MODEL_EVALUATION = "model_evaluation", "Model evaluation"
    PREANNOTATION = "preannotation", "Pre-annotation"
    SALIENCY = "saliency", "FullGrad saliency"


class BackgroundJob(models.Model):
    """The state of one piece of queued work; the app's own source of truth, not Celery's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40, choices=JobKind.choices)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # "host:pid" of the claiming process

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="job_progress_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"


class AuditEvent(models.Model):
    """Who viewed or changed patient data. Append-only: nothing updates or deletes rows."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action}"


class VideoStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    PROBING = "probing", "Probing"
    EXTRACTING = "extracting", "Extracting"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Video(models.Model):
    """A de-identified copy of one surgical video. The original file name is never stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="videos")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    container = models.CharField(max_length=40, blank=True)
    codec = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    variable_fps = models.BooleanField(default=False)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    rotation = models.SmallIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=VideoStatus.choices, default=VideoStatus.UPLOADED
    )
    error = models.TextField(blank=True)
    extraction = models.JSONField(default=dict, blank=True)  # the options last used
    frames_done = models.PositiveIntegerField(default=0)
    frames_expected = models.PositiveIntegerField(default=0)
    extract_fps = models.FloatField(default=0.0)  # decoding speed, frames per second
    job = models.ForeignKey(
        BackgroundJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="video_unique_sha256"),
            models.CheckConstraint(
                condition=Q(status__in=VideoStatus.values), name="video_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"video {self.pk} of {self.patient}"


class ExclusionReason(models.TextChoices):
    NONE = "", "Kept"
    BLUR = "blur", "Blurry"
    DUPLICATE = "duplicate", "Near-duplicate"
    MANUAL = "manual", "Excluded by hand"


class Frame(models.Model):
    """One extracted frame, re-encoded from pixels (no metadata carries over)."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="frames")
    index = models.PositiveIntegerField()  # decode-order index in the video stream
    timestamp_ms = models.FloatField()  # from the stream's pts, exact also for VFR
    image = models.FileField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sharpness = models.FloatField()
    phash = models.CharField(max_length=16)  # 64-bit perceptual hash, hex
    excluded = models.BooleanField(default=False)
    exclusion_reason = models.CharField(
        max_length=12, choices=ExclusionReason.choices, default=ExclusionReason.NONE, blank=True
    )

    class Meta:
        ordering = ["video", "index"]
        constraints = [
            models.UniqueConstraint(fields=["video", "index"], name="frame_unique_index"),
        ]
        indexes = [models.Index(fields=["video", "excluded", "index"])]

    def __str__(self) -> str:
        return f"frame {self.index} of video {self.video_id}"

    @property
    def project(self) -> Project:
        return self.video.project


class UploadStatus(models.TextChoices):
    OPEN = "open", "Receiving chunks"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class UploadSession(models.Model):
    """A resumable, chunked upload; chunks live on disk under MEDIA_ROOT/uploads/<id>/."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="uploads")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    chunk_size = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=UploadStatus.choices, default="open")
    error = models.TextField(blank=True)
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="upload_size_positive"),
            models.CheckConstraint(condition=Q(chunk_size__gt=0), name="upload_chunk_positive"),
        ]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.status})"

    @property
    def chunk_count(self) -> int:
        return -(-self.size_bytes // self.chunk_size)


class ApiTokenUse(models.Model):
    """When an API token last authenticated a request (written at most once a minute)."""

    token = models.OneToOneField("authtoken.Token", on_delete=models.CASCADE, related_name="use")
    last_used_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"API token last used {self.last_used_at:%Y-%m-%d %H:%M}"
