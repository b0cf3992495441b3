"""Reads for the split manager and dataset versions, scoped to the caller's projects."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet

from annotator.models import Annotation, AnnotationStatus
from annotator.selectors import label_classes_of
from datasets import access
from datasets.access import Capability
from datasets.models import Frame, Patient, Project, Split, Video, VideoStatus
from datasets.users import RequestUser
from datasets.versions.core.shapes import label_areas
from datasets.versions.core.splitting import PatientLoad
from datasets.versions.models import DatasetExport, DatasetVersion


def versions_for_user(
    *, user: RequestUser, project_slug: str | None = None
) -> QuerySet[DatasetVersion]:
    qs = access.scope(DatasetVersion.objects.select_related("project", "created_by"), user)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    return qs.order_by("project_id", "-number")


def version_for(
    *, user: RequestUser, pk: int, need: Capability = Capability.VIEW
) -> DatasetVersion:
    """404 outside the caller's projects, 403 without `need` in the version's project."""
    qs = DatasetVersion.objects.select_related("project", "created_by")
    return access.get_scoped(qs, user, need=need, pk=pk)


def exports_for_user(
    *, user: RequestUser, version: DatasetVersion | None = None
) -> QuerySet[DatasetExport]:
    qs = DatasetExport.objects.select_related("version", "version__project", "job")
    qs = access.scope(qs, user, path="version__project")
    if version is not None:
        qs = qs.filter(version=version)
    return qs


def export_for(*, user: RequestUser, pk: str, need: Capability = Capability.VIEW) -> DatasetExport:
    qs = DatasetExport.objects.select_related("version", "version__project", "job")
    return access.get_scoped(qs, user, need=need, path="version__project", pk=pk)


def approved_by_patient(*, project: Project) -> dict[int, int]:
    """{patient id: approved, non-excluded frames}."""
    rows = (
        Annotation.objects.filter(
            project=project, status=AnnotationStatus.APPROVED, frame__excluded=False
        )
        .values("frame__video__patient_id")
        .annotate(n=Count("id"))
    )
    return {r["frame__video__patient_id"]: r["n"] for r in rows}


def patient_loads(*, project: Project) -> list[PatientLoad]:
    approved = approved_by_patient(project=project)
    return [
        PatientLoad(
            code=p.code,
            approved=approved.get(p.pk, 0),
            split=p.split,
            locked=p.split == Split.TEST and p.test_evaluated_at is not None,
        )
        for p in Patient.objects.filter(project=project).order_by("code")
    ]


def split_overview(*, project: Project) -> dict[str, Any]:
    """Every patient with its counts and nerve pixel share, and totals per split."""
    videos = dict(  # usable recordings: a failed import is not one of the patient's videos
        Video.objects.filter(project=project)
        .exclude(status=VideoStatus.FAILED)
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )
    frames = {
        r["video__patient_id"]: r
        for r in Frame.objects.filter(video__project=project, excluded=False)
        .values("video__patient_id")
        .annotate(n=Count("id"), annotated=Count("annotation"))
    }
    approved: dict[int, int] = defaultdict(int)
    area: dict[int, float] = defaultdict(float)
    pixels: dict[int, float] = defaultdict(float)
    rows = Annotation.objects.filter(
        project=project, status=AnnotationStatus.APPROVED, frame__excluded=False
    ).values_list("frame__video__patient_id", "shapes", "frame__width", "frame__height")
    for pid, shapes, width, height in rows.iterator(chunk_size=2000):
        approved[pid] += 1
        area[pid] += sum(label_areas(shapes).values())
        pixels[pid] += width * height
    patients = []
    totals = {s: {"patients": 0, "videos": 0, "frames": 0, "approved": 0} for s in Split.values}
    for p in Patient.objects.filter(project=project).order_by("code"):
        f = frames.get(p.pk)
        row: dict[str, Any] = {
            "id": p.pk,
            "code": p.code,
            "split": p.split,
            "test_evaluated": p.test_evaluated_at is not None,
            "videos": videos.get(p.pk, 0),
            "frames": f["n"] if f else 0,
            "annotated": f["annotated"] if f else 0,
            "approved": approved[p.pk],
            "nerve_share": round(area[p.pk] / pixels[p.pk], 5) if pixels[p.pk] else 0.0,
        }
        patients.append(row)
        t = totals[p.split]
        t["patients"] += 1
        for key in ("videos", "frames", "approved"):
            t[key] += row[key]
    return {
        "project": project.slug,
        "classes": label_classes_of(project=project),
        "patients": patients,
        "totals": totals,
    }
