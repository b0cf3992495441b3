"""Freezing a dataset version, its statistics, and the diff of two versions."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, NamedTuple, TypedDict

from django.db import transaction
from django.db.models import F, Max

from annotator.models import AnnotationRevision, AnnotationStatus
from annotator.selectors import label_classes_of
from config.exceptions import ApplicationError, Conflict
from datasets.layout import SPLITS
from datasets.models import Patient, Project
from datasets.services.audit import audit_record
from datasets.users import User
from datasets.versions.core.shapes import label_areas, labels_present
from datasets.versions.models import DatasetVersion, DatasetVersionItem
from datasets.versions.services.leakage import blocking, leakage_findings


def export_classes(*, project: Project) -> list[dict[str, Any]]:
    """The project's classes numbered 1..N in value order (layout v1 needs ids 0..N-1)."""
    rows = label_classes_of(project=project)
    return [{"id": i + 1, "name": c["name"], "value": c["value"]} for i, c in enumerate(rows)]


def content_checksum(classes: list[dict[str, Any]], items: list[tuple[int, int, str, str]]) -> str:
    """sha256 of (classes, sorted (frame, revision, patient, split)): same state, same sum."""
    body = {"classes": [[c["id"], c["name"]] for c in classes], "items": sorted(items)}
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


class SnapshotRow(TypedDict):
    """One approved revision of the dataset as `_snapshot_rows` reads it."""

    id: int  # the revision
    shapes: list[dict[str, Any]]
    frame_id: int
    video_id: int
    frame_index: int
    width: int
    height: int
    patient_id: int
    patient_code: str
    split: str


def _snapshot_rows(project: Project) -> list[SnapshotRow]:
    """One consistent read of every approved revision now in the dataset (one statement)."""
    return list(
        AnnotationRevision.objects.filter(
            annotation__project=project,
            annotation__status=AnnotationStatus.APPROVED,
            version=F("annotation__version"),
            annotation__frame__excluded=False,
            annotation__frame__video__patient__split__in=SPLITS,
        )
        .values(
            "id",
            "shapes",
            frame_id=F("annotation__frame_id"),
            video_id=F("annotation__frame__video_id"),
            frame_index=F("annotation__frame__index"),
            width=F("annotation__frame__width"),
            height=F("annotation__frame__height"),
            patient_id=F("annotation__frame__video__patient_id"),
            patient_code=F("annotation__frame__video__patient__code"),
            split=F("annotation__frame__video__patient__split"),
        )
        .order_by("split", "patient_code", "video_id", "frame_index")
    )


def version_stats(rows: list[SnapshotRow], classes: list[dict[str, Any]]) -> dict[str, Any]:
    """Per split and per patient: frames, frames showing each class, and area shares."""
    names = [c["name"] for c in classes]
    empty = {"patients": 0, "videos": 0, "frames": 0}
    splits: dict[str, Any] = {s: {**empty, "frames_with": dict.fromkeys(names, 0)} for s in SPLITS}
    area: dict[str, dict[str, float]] = {s: defaultdict(float) for s in SPLITS}
    pixels: dict[str, float] = defaultdict(float)
    patients: dict[str, Any] = {}
    videos: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        s, code = r["split"], r["patient_code"]
        p = patients.setdefault(
            code, {"split": s, "frames": 0, "frames_with": dict.fromkeys(names, 0), "share": 0.0}
        )
        p["frames"] += 1
        splits[s]["frames"] += 1
        videos[s].add(r["video_id"])
        frame_px = r["width"] * r["height"]
        pixels[s] += frame_px
        areas = label_areas(r["shapes"])
        for name in labels_present(r["shapes"]):
            if name in p["frames_with"]:
                p["frames_with"][name] += 1
                splits[s]["frames_with"][name] += 1
        for name, a in areas.items():
            area[s][name] += a
        p["share"] += sum(areas.values()) / frame_px if frame_px else 0.0
    for p in patients.values():
        p["share"] = round(p["share"] / p["frames"], 5) if p["frames"] else 0.0
        splits[p["split"]]["patients"] += 1
    balance = {}
    for s in SPLITS:
        splits[s]["videos"] = len(videos[s])
        total = pixels[s] or 1.0
        shares = {n: round(area[s][n] / total, 5) for n in names}
        balance[s] = {"background": round(1 - sum(shares.values()), 5), **shares}
    return {"splits": splits, "patients": patients, "class_balance": balance}


class Frozen(NamedTuple):
    """What a freeze left: the version, and whether it is new (False: the same content was
    already frozen as `version`, and nothing was written)."""

    version: DatasetVersion
    created: bool


def version_freeze(
    *, project: Project, by: User, name: str = "", override_reason: str = ""
) -> DatasetVersion:
    """The version holding the approved annotations, frames and splits of `project` now: a new
    one, or the existing one with the same content (see `version_freeze_or_reuse`)."""
    return version_freeze_or_reuse(
        project=project, by=by, name=name, override_reason=override_reason
    ).version


def _same_content(project: Project, checksum: str) -> DatasetVersion | None:
    """The newest version of `project` with this checksum (same classes, frames, revisions,
    patients and splits), if any."""
    return (
        DatasetVersion.objects.filter(project=project, checksum=checksum)
        .select_related("project", "created_by")
        .order_by("-number")
        .first()
    )


def version_freeze_or_reuse(
    *, project: Project, by: User, name: str = "", override_reason: str = ""
) -> Frozen:
    """Snapshot the approved annotations, frames and splits of `project` as a new version, or
    return the existing version whose content is the same (`created` False; its name and
    reason stay as they were: versions are never changed).

    Refused (409) while a blocking leakage finding stands, unless `override_reason` is given
    (the caller has checked that the user is a data manager); the reason and the findings are
    stored with the version and audited.

    The heavy part (leakage checks, statistics) runs outside any transaction, so the embedded
    SQLite database is not write-locked meanwhile; the short atomic part re-reads the snapshot
    under lock and refuses if anything moved in between."""
    rows = _snapshot_rows(project)
    if not rows:
        raise ApplicationError("There are no approved frames of assigned patients to freeze.")
    classes = export_classes(project=project)
    checksum = content_checksum(classes, _row_items(rows))
    if (existing := _same_content(project, checksum)) is not None:
        return Frozen(existing, created=False)
    findings = leakage_findings(project=project)
    stopping = blocking(findings)
    override_reason = override_reason.strip()
    if stopping and not override_reason:
        raise Conflict(
            f"{len(stopping)} blocking leakage finding(s): "
            + " ".join(f["message"] for f in stopping[:3])
            + " Fix them, or override with a reason.",
            code="leakage_blocking",
            extra={"findings": stopping},
        )
    stats = version_stats(rows, classes)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)  # one freeze at a time
        list(Patient.objects.select_for_update().filter(project=project))  # splits hold still
        if content_checksum(classes, _row_items(_snapshot_rows(project))) != checksum:
            raise Conflict(
                "Annotations or splits changed while the version was being prepared; freeze again.",
                code="changed",
            )
        if (existing := _same_content(project, checksum)) is not None:
            return Frozen(existing, created=False)  # a concurrent freeze of the same content
        version = _save_version(
            project,
            by,
            name,
            checksum,
            classes,
            stats,
            findings,
            override_reason if stopping else "",
            rows,
        )
    detail = {"number": version.number, "frames": len(rows), "checksum": version.checksum}
    if stopping:
        detail.update(override_reason=override_reason, blocking=[f["kind"] for f in stopping])
    action = "version.freeze_override" if stopping else "version.freeze"
    audit_record(user=by, action=action, obj=version, project=project, detail=detail)
    return Frozen(version, created=True)


def _row_items(rows: list[SnapshotRow]) -> list[tuple[int, int, str, str]]:
    return [(r["frame_id"], r["id"], r["patient_code"], r["split"]) for r in rows]


def _save_version(
    project: Project,
    by: User,
    name: str,
    checksum: str,
    classes: list,
    stats: dict,
    findings: list,
    override_reason: str,
    rows: list[SnapshotRow],
) -> DatasetVersion:
    number = (DatasetVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"]) or 0
    version = DatasetVersion(
        project=project,
        number=number + 1,
        name=name.strip()[:120],
        checksum=checksum,
        classes=classes,
        # The patients in the dataset: those with frames in it (as every count of patients).
        patients={r["patient_code"]: r["split"] for r in rows},
        stats=stats,
        findings=findings,
        override_reason=override_reason,
        frame_count=len(rows),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    version.full_clean()
    version.save()
    DatasetVersionItem.objects.bulk_create(
        [
            DatasetVersionItem(
                version=version,
                frame_id=r["frame_id"],
                revision_id=r["id"],
                patient_id=r["patient_id"],
                patient_code=r["patient_code"],
                split=r["split"],
                video_id=r["video_id"],
                frame_index=r["frame_index"],
            )
            for r in rows
        ],
        batch_size=2000,
    )
    return version


def _items(version: DatasetVersion) -> dict[int, tuple[int, str, str]]:
    return {
        f: (rev, code, split)
        for f, rev, code, split in version.items.values_list(
            "frame_id", "revision_id", "patient_code", "split"
        )
    }


def version_diff(*, old: DatasetVersion, new: DatasetVersion, limit: int = 500) -> dict[str, Any]:
    """Frames added, removed and changed (another revision), and patients moved between."""
    if old.project_id != new.project_id:
        raise ApplicationError("Only versions of the same project can be compared.")
    a, b = _items(old), _items(new)
    added = sorted(set(b) - set(a))
    removed = sorted(set(a) - set(b))
    changed = sorted(f for f in set(a) & set(b) if a[f][0] != b[f][0])
    moved = [
        {"patient": code, "from": old.patients[code], "to": split}
        for code, split in sorted(new.patients.items())
        if code in old.patients and old.patients[code] != split
    ]
    return {
        "old": old.number,
        "new": new.number,
        "same_content": old.checksum == new.checksum,
        "counts": {
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "moved_patients": len(moved),
        },
        "added": added[:limit],
        "removed": removed[:limit],
        "changed": changed[:limit],
        "moved_patients": moved,
        "new_patients": sorted(set(new.patients) - set(old.patients)),
        "dropped_patients": sorted(set(old.patients) - set(new.patients)),
    }
