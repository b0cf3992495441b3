"""Leakage checks of a project's live data: load plain records, run the pure checks."""

from __future__ import annotations

from typing import Any

from annotator.models import AnnotationStatus
from annotator.selectors import label_classes_of
from datasets.models import Frame, Patient, Project, Video
from datasets.versions.core import leakage
from datasets.versions.core.shapes import labels_present


def _phash(value: str) -> int:
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        return 0


def project_records(
    *, project: Project
) -> tuple[list[leakage.VideoRecord], list[leakage.FrameRecord], dict[str, str]]:
    splits = dict(Patient.objects.filter(project=project).values_list("code", "split"))
    videos = [
        leakage.VideoRecord(id=v, patient=code, sha256=sha)
        for v, code, sha in Video.objects.filter(project=project).values_list(
            "id", "patient__code", "sha256"
        )
    ]
    rows = (
        Frame.objects.filter(video__project=project)
        .values_list(
            "id",
            "video_id",
            "video__patient__code",
            "phash",
            "excluded",
            "annotation__status",
            "annotation__shapes",
        )
        .order_by("video_id", "index")
    )
    frames = []
    for fid, vid, code, phash, excluded, status, shapes in rows.iterator(chunk_size=2000):
        split = splits.get(code, "unassigned")
        in_dataset = not excluded and status == AnnotationStatus.APPROVED
        frames.append(
            leakage.FrameRecord(
                id=fid,
                video=vid,
                patient=code,
                split=split,
                phash=_phash(phash),
                in_dataset=in_dataset,
                labels=labels_present(shapes) if in_dataset else frozenset(),
            )
        )
    return videos, frames, splits


def leakage_findings(*, project: Project) -> list[dict[str, Any]]:
    """Every finding for the project as JSON-ready dicts, blocking ones first."""
    videos, frames, splits = project_records(project=project)
    classes = [c["name"] for c in label_classes_of(project=project)]
    findings = leakage.run_checks(videos=videos, frames=frames, splits=splits, classes=classes)
    return [f.as_dict() for f in findings]


def blocking(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["severity"] == leakage.BLOCKING]
