"""Reads for the data managers' project dashboard: annotation progress per patient and state,
per-annotator throughput over time, the review backlog, frames per split.

Everything comes from the live tables of one project (the caller checked access); the history
(throughput, backlog) from the immutable annotation revisions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from annotator.models import Annotation, AnnotationRevision, AnnotationStatus, RevisionKind
from datasets import access
from datasets.access import Capability
from datasets.models import Frame, Patient, Project, Split
from datasets.users import RequestUser

REFUSAL = "Only data managers and administrators see the project dashboard."
NONE = "none"  # a frame nobody annotated yet
STATES = [
    NONE,
    AnnotationStatus.IN_PROGRESS.value,
    AnnotationStatus.SUBMITTED.value,
    AnnotationStatus.REJECTED.value,
    AnnotationStatus.APPROVED.value,
]


def require_dashboard(user: RequestUser, project: Project) -> None:
    """403 with a sentence unless the caller may see the dashboard of `project` (it names the
    annotators and their throughput, as the memberships do). Look the project up in scope
    first (404 for outsiders)."""
    if not access.can(user, Capability.VIEW_MEMBERS, project):
        raise PermissionDenied(REFUSAL)


def _progress(project: Project) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per patient (in code order) and in total: non-excluded frames by annotation state."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    frames = (
        Frame.objects.filter(video__project=project, excluded=False)
        .values("video__patient_id", "annotation__status")
        .annotate(n=Count("id"))
    )
    for row in frames:
        counts[row["video__patient_id"]][row["annotation__status"] or NONE] += row["n"]
    totals = dict.fromkeys(STATES, 0)
    patients = []
    for p in Patient.objects.filter(project=project).order_by("code"):
        states = counts[p.pk]
        patients.append(
            {"code": p.code, "split": p.split, "frames": sum(states.values()), "states": states}
        )
        for state, n in states.items():
            totals[state] += n
    return patients, totals


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _throughput(project: Project, days: list[date]) -> list[dict[str, Any]]:
    """Per annotator: frames submitted each day (saves that made an annotation submitted)."""
    rows = (
        AnnotationRevision.objects.filter(
            annotation__project=project,
            kind=RevisionKind.SAVE,
            status=AnnotationStatus.SUBMITTED,
            created_at__date__gte=days[0],
            created_at__date__lte=days[-1],
        )
        .annotate(day=TruncDate("created_at"))
        .values("created_by__username", "day")
        .annotate(n=Count("annotation_id", distinct=True))
    )
    per: dict[str, dict[date, int]] = defaultdict(dict)
    for r in rows:
        per[r["created_by__username"] or "(deleted user)"][r["day"]] = r["n"]
    return [
        {"username": name, "submitted": [per[name].get(d, 0) for d in days]}
        for name in sorted(per, key=lambda n: (-sum(per[n].values()), n))
    ]


def _backlog(project: Project, days: list[date]) -> list[int]:
    """Frames waiting for review (status submitted) at the end of each day, replayed from the
    revisions in the order they were written."""
    status: dict[int, str] = {}
    waiting = 0
    out: list[int] = []
    revisions = (
        AnnotationRevision.objects.filter(
            annotation__project=project, annotation__frame__excluded=False
        )
        .order_by("created_at", "id")
        .values_list("annotation_id", "status", "created_at")
    )
    i = 0
    for annotation_id, state, created in revisions.iterator(chunk_size=5000):
        day = timezone.localdate(created)
        while i < len(days) and day > days[i]:
            out.append(waiting)
            i += 1
        if status.get(annotation_id) == AnnotationStatus.SUBMITTED:
            waiting -= 1
        if state == AnnotationStatus.SUBMITTED:
            waiting += 1
        status[annotation_id] = state
    out.extend([waiting] * (len(days) - i))
    return out


def _oldest_waiting(project: Project, now: datetime) -> float | None:
    oldest = (
        Annotation.objects.filter(
            project=project, status=AnnotationStatus.SUBMITTED, frame__excluded=False
        )
        .order_by("updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    return round((now - oldest).total_seconds() / 86400, 3) if oldest else None


def _splits(patients: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per split: patients, frames, annotated frames (any state) and approved frames."""
    out = {s: {"patients": 0, "frames": 0, "annotated": 0, "approved": 0} for s in Split.values}
    for p in patients:
        row = out[p["split"]]
        row["patients"] += 1
        row["frames"] += p["frames"]
        row["annotated"] += p["frames"] - p["states"][NONE]
        row["approved"] += p["states"][AnnotationStatus.APPROVED.value]
    return out


def _first_day(project: Project, today: date, days: int) -> date:
    """The series start at the project's first revision: at most `days`, at least 7 days back."""
    first = AnnotationRevision.objects.filter(annotation__project=project).aggregate(
        first=Min("created_at")
    )["first"]
    start = today - timedelta(days=6)
    if first is not None:
        start = min(start, timezone.localdate(first))
    return max(start, today - timedelta(days=days - 1))


def project_dashboard(*, project: Project, days: int = 60) -> dict[str, Any]:
    """The dashboard's figures; the time series end today (see `_first_day` for the start)."""
    now = timezone.now()
    today = timezone.localdate(now)
    span = _days(_first_day(project, today, days), today)
    patients, totals = _progress(project)
    return {
        "project": project.slug,
        "generated_at": now.isoformat(),
        "states": STATES,
        "patients": patients,
        "totals": totals,
        "days": [d.isoformat() for d in span],
        "throughput": _throughput(project, span),
        "backlog": {
            "waiting": _backlog(project, span),
            "now": totals[AnnotationStatus.SUBMITTED.value],
            "oldest_days": _oldest_waiting(project, now),
        },
        "splits": _splits(patients),
    }
