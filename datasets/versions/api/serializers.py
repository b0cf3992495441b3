"""Serializers of the versions API: shape only; the services decide."""

from __future__ import annotations

from rest_framework import serializers

from datasets.models import Split
from datasets.versions.models import DatasetExport, DatasetVersion, ExportFormat


class SplitPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    split = serializers.CharField()
    test_evaluated = serializers.BooleanField()
    videos = serializers.IntegerField()
    frames = serializers.IntegerField()
    annotated = serializers.IntegerField()
    approved = serializers.IntegerField()
    nerve_share = serializers.FloatField()


class SplitOverviewSerializer(serializers.Serializer):
    project = serializers.CharField()
    classes = serializers.ListField(child=serializers.DictField())
    patients = SplitPatientSerializer(many=True)
    totals = serializers.DictField(child=serializers.DictField())


class SplitMoveSerializer(serializers.Serializer):
    patients = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=5000
    )
    split = serializers.ChoiceField(choices=Split.choices)
    confirm_contamination = serializers.BooleanField(default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AutoAssignSerializer(serializers.Serializer):
    ratios = serializers.ListField(
        child=serializers.FloatField(min_value=0),
        min_length=3,
        max_length=3,
        default=[0.7, 0.15, 0.15],
    )
    seed = serializers.IntegerField(default=0, min_value=0)
    include_assigned = serializers.BooleanField(default=False)
    apply = serializers.BooleanField(default=False)
    # With `apply`: the moves of the preview the user confirmed ({code: split}); if the plan is
    # no longer that (patients, splits or approved frames changed), nothing moves (409).
    expect_moves = serializers.DictField(
        child=serializers.ChoiceField(choices=Split.choices),
        required=False,
        allow_null=True,
        default=None,
    )


class AutoAssignResultSerializer(serializers.Serializer):
    ratios = serializers.ListField(child=serializers.FloatField())
    seed = serializers.IntegerField()
    applied = serializers.BooleanField()
    assignments = serializers.DictField(child=serializers.CharField())
    moves = serializers.DictField(child=serializers.CharField())
    totals = serializers.DictField(child=serializers.IntegerField())
    targets = serializers.DictField(child=serializers.FloatField())


class KFoldSerializer(serializers.Serializer):
    k = serializers.IntegerField(min_value=2, max_value=20, default=5)
    seed = serializers.IntegerField(default=0, min_value=0)


class KFoldResultSerializer(serializers.Serializer):
    k = serializers.IntegerField()
    seed = serializers.IntegerField()
    folds = serializers.ListField(child=serializers.DictField())


class FindingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()
    patients = serializers.ListField(child=serializers.CharField())
    videos = serializers.ListField(child=serializers.IntegerField())
    pairs = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    count = serializers.IntegerField()


class LeakageSerializer(serializers.Serializer):
    blocking = serializers.IntegerField()
    findings = FindingSerializer(many=True)


class VersionSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "project",
            "number",
            "name",
            "checksum",
            "frame_count",
            "classes",
            "patients",
            "stats",
            "findings",
            "override_reason",
            "created_by",
            "created_at",
        ]


class FreezeSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    override_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )


class DiffSerializer(serializers.Serializer):
    old = serializers.IntegerField()
    new = serializers.IntegerField()
    same_content = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    added = serializers.ListField(child=serializers.IntegerField())
    removed = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.ListField(child=serializers.IntegerField())
    moved_patients = serializers.ListField(child=serializers.DictField())
    new_patients = serializers.ListField(child=serializers.CharField())
    dropped_patients = serializers.ListField(child=serializers.CharField())


class ExportSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    version_id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(source="job.status", read_only=True, default=None)
    progress = serializers.FloatField(source="job.progress", read_only=True, default=None)
    message = serializers.CharField(source="job.message", read_only=True, default="")
    error = serializers.CharField(source="job.error", read_only=True, default="")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DatasetExport
        fields = [
            "id",
            "version",
            "version_id",
            "format",
            "job",
            "status",
            "progress",
            "message",
            "error",
            "size_bytes",
            "sha256",
            "download_url",
            "created_at",
        ]

    def get_download_url(self, obj: DatasetExport) -> str | None:
        return f"/api/v1/exports/{obj.pk}/download/" if obj.file else None


class ExportCreateSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    annotation_format = serializers.ChoiceField(choices=[("coco", "COCO"), ("masks", "PNG masks")])
    match = serializers.ChoiceField(
        choices=[("index", "video + frame index"), ("filename", "file name")]
    )
    video = serializers.IntegerField(required=False, allow_null=True, default=None)
    overwrite = serializers.BooleanField(default=False)


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.DictField())
    # A field named like `Serializer.errors`: the metaclass takes declared fields out of the
    # class, so the property is not shadowed at runtime; the stubs see an assignment to it.
    errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]


class DashboardQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=7, max_value=365, default=60)


class DashboardPatientSerializer(serializers.Serializer):
    code = serializers.CharField()
    split = serializers.CharField()
    frames = serializers.IntegerField()
    states = serializers.DictField(child=serializers.IntegerField())


class DashboardAnnotatorSerializer(serializers.Serializer):
    username = serializers.CharField()
    submitted = serializers.ListField(child=serializers.IntegerField(), help_text="per day")


class DashboardBacklogSerializer(serializers.Serializer):
    waiting = serializers.ListField(
        child=serializers.IntegerField(), help_text="frames submitted, not reviewed, per day end"
    )
    now = serializers.IntegerField()
    oldest_days = serializers.FloatField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    project = serializers.CharField()
    generated_at = serializers.DateTimeField()
    states = serializers.ListField(child=serializers.CharField())
    patients = DashboardPatientSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    days = serializers.ListField(child=serializers.DateField())
    throughput = DashboardAnnotatorSerializer(many=True)
    backlog = DashboardBacklogSerializer()
    splits = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
