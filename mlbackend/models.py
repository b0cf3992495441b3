"""Training jobs, the model registry and evaluations (the Django side of `mlbackend`).

A training job's queue state (status, progress, heartbeat, error, cancel) lives in its
`BackgroundJob` row, claimed by compare-and-set like every other job; the rows here add what is
particular to training. A model version is made once per job (unique), from a frozen dataset
version, and records that version's checksum so a model can always be traced to its data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from datasets.models import BackgroundJob, Project


class Arch(models.TextChoices):
    IMPROVED_UNET = "improved_unet", "Improved U-Net"
    IMPROVED_UNET_LITE = "improved_unet_lite", "Improved U-Net (lite)"
    UNET = "unet", "U-Net"
    ATTENTION_UNET = "attention_unet", "Attention U-Net"
    UNETPP = "unetpp", "U-Net++"


class TrainingJob(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="training_jobs")
    dataset_version = models.ForeignKey(
        "versions.DatasetVersion", on_delete=models.RESTRICT, related_name="training_jobs"
    )
    job = models.OneToOneField(BackgroundJob, on_delete=models.RESTRICT, related_name="training")
    arch = models.CharField(max_length=24, choices=Arch.choices)
    # epochs, batch_size, image_size, lr, augment, seed: what the user chose, validated.
    params = models.JSONField(default=dict)
    warm_start = models.ForeignKey(
        "ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # One row per finished epoch: epoch, train_loss, val_loss, val_nerve_iou, val_nerve_dice,
    # lr, images_per_s, seconds.
    history = models.JSONField(default=list, blank=True)
    eta_s = models.FloatField(null=True, blank=True)
    device = models.CharField(max_length=40, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    log = models.TextField(blank=True)  # the last lines of the run's log
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(arch__in=Arch.values), name="trainingjob_arch"),
        ]

    def __str__(self) -> str:
        return f"training {self.pk} ({self.arch}) of {self.dataset_version_id}"


class ModelVersion(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    number = models.PositiveIntegerField()
    training_job = models.OneToOneField(
        TrainingJob, on_delete=models.RESTRICT, related_name="model_version"
    )
    arch = models.CharField(max_length=24, choices=Arch.choices)
    weights = models.CharField(max_length=300)  # storage name of the safetensors file
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    config = models.JSONField(default=dict)  # model config + training config, frozen
    param_count = models.BigIntegerField(default=0)
    dataset_version = models.ForeignKey(
        "versions.DatasetVersion", on_delete=models.RESTRICT, related_name="model_versions"
    )
    dataset_checksum = models.CharField(max_length=64)
    val_metrics = models.JSONField(default=dict, blank=True)
    test_metrics = models.JSONField(null=True, blank=True)  # set by the evaluation on its data
    git_commit = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="model_unique_number"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_active=True), name="model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} model {self.number} ({self.arch})"


class ModelEvaluation(models.Model):
    """One model on one split of one frozen dataset version: pooled and per-patient metrics."""

    model = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    dataset_version = models.ForeignKey(
        "versions.DatasetVersion", on_delete=models.RESTRICT, related_name="evaluations"
    )
    split = models.CharField(max_length=8, default="test")
    job = models.OneToOneField(BackgroundJob, on_delete=models.RESTRICT, related_name="evaluation")
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"evaluation {self.pk} of model {self.model_id} on {self.dataset_version_id}"
