"""The project dashboard's figures: progress per patient and state, throughput per annotator
and day, the review backlog replayed from revisions, frames per split; who may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotator.models import Annotation, AnnotationRevision
from tests.factories import RolesWorld, add_patient, square

URL = "/api/v1/projects/alpha/dashboard/"


def record(frame, status: str, user, days_ago: int, kind: str = "save") -> None:
    """The annotation of `frame` moves to `status`, with its revision dated `days_ago`."""
    ann = Annotation.objects.filter(frame=frame).first()
    when = timezone.now() - timedelta(days=days_ago)
    if ann is None:
        ann = Annotation.objects.create(
            frame=frame,
            project_id=frame.video.project_id,
            shapes=square(4, 4, 8),
            status=status,
            annotator=user,
            updated_at=when,
        )
    else:
        ann.version += 1
        ann.status, ann.updated_at = status, when
        ann.save()
    rev = AnnotationRevision.objects.create(
        annotation=ann,
        version=ann.version,
        kind=kind,
        shapes=ann.shapes,
        status=status,
        source="manual",
        created_by=user,
    )
    AnnotationRevision.objects.filter(pk=rev.pk).update(created_at=when)


@pytest.fixture
def history(roles_world: RolesWorld) -> dict:
    """Two annotators' work over the last days, a reviewer's verdicts, and what waits."""
    ann, ann2 = roles_world.users["annotator"], roles_world.users["annotator2"]
    dm = roles_world.users["data_manager"]
    patient, frames = add_patient(roles_world.project, "train", 6, approved=0)
    record(frames[0], "submitted", ann, 3)
    record(frames[1], "submitted", ann, 3)
    record(frames[2], "submitted", ann2, 2)
    record(frames[0], "approved", dm, 1, kind="review")
    record(frames[1], "rejected", dm, 1, kind="review")
    record(frames[3], "in_progress", ann2, 1)
    record(frames[4], "submitted", ann2, 0)
    return {"patient": patient, "frames": frames}


def test_progress_throughput_backlog_and_splits(roles_world: RolesWorld, history: dict) -> None:
    r = roles_world.client("data_manager").get(f"{URL}?days=7")
    assert r.status_code == 200, r.json()
    data = r.json()
    assert len(data["days"]) == 7
    assert data["days"][-1] == timezone.localdate().isoformat()
    rows = {p["code"]: p for p in data["patients"]}
    states = rows[history["patient"].code]["states"]
    assert states == {
        "none": 1,
        "in_progress": 1,
        "submitted": 2,
        "rejected": 1,
        "approved": 1,
    }
    assert rows[roles_world.patient.code]["states"]["none"] == 4  # the world's own 4 frames
    assert data["totals"]["none"] == 5
    by_user = {t["username"]: t["submitted"] for t in data["throughput"]}
    assert by_user["ann"][-4:] == [2, 0, 0, 0]  # two frames, three days ago
    assert by_user["ann2"][-4:] == [0, 1, 0, 1]
    assert [t["username"] for t in data["throughput"]] == ["ann", "ann2"]  # most first (tie: name)
    assert data["backlog"]["waiting"][-4:] == [2, 3, 1, 2]
    assert data["backlog"]["now"] == 2
    assert data["backlog"]["oldest_days"] == pytest.approx(2, abs=0.1)
    assert data["splits"]["train"] == {"patients": 1, "frames": 6, "annotated": 5, "approved": 1}
    assert data["splits"]["unassigned"]["frames"] == 4


@pytest.mark.parametrize(
    ("role", "expected"),
    [("annotator", 403), ("ml_staff", 403), ("outsider", 404), ("admin", 200)],
)
def test_only_data_managers_and_admins_see_the_dashboard(
    roles_world: RolesWorld, role: str, expected: int
) -> None:
    r = roles_world.client(role).get(URL)
    assert r.status_code == expected
    if expected == 403:
        assert r.json()["detail"] == (
            "Only data managers and administrators see the project dashboard."
        )


def test_days_out_of_range_is_refused_in_words(roles_world: RolesWorld) -> None:
    r = roles_world.client("data_manager").get(f"{URL}?days=2")
    assert r.status_code == 400
    assert "greater than or equal to 7" in r.json()["days"][0]


def test_the_series_start_at_the_first_revision_within_the_window(
    roles_world: RolesWorld,
) -> None:
    dm = roles_world.client("data_manager")
    assert len(dm.get(URL).json()["days"]) == 7  # nothing yet: one week
    record(roles_world.frames[0], "submitted", roles_world.users["annotator"], 20)
    data = dm.get(URL).json()
    assert len(data["days"]) == 21
    assert data["backlog"]["waiting"] == [1] * 21
    assert len(dm.get(f"{URL}?days=10").json()["days"]) == 10
