"""Freezing: immutable snapshots, same state -> same checksum, leakage gate, diff."""

from __future__ import annotations

import pytest

from annotator.models import Annotation
from config.exceptions import Conflict
from datasets.models import AuditEvent, DatasetVersion, Patient
from datasets.services.patients import patient_assign_split, patient_delete
from tests.annotator.conftest import square
from tests.versions.conftest import World, add_patient, approve

URL = "/api/v1/projects/alpha/versions/"


def freeze(world: World, **body: str) -> dict:
    r = world.client("data_manager").post(URL, body, format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def test_freeze_snapshots_approved_frames_and_splits_with_stats(world: World) -> None:
    add_patient(world.project, "unassigned", 2)  # not in any split: not in the version
    v = freeze(world, name="first")
    assert v["number"] == 1
    assert v["frame_count"] == 9
    assert v["patients"] == {p.code: s for s, p in world.patients.items()}
    assert v["stats"]["splits"]["train"]["frames"] == 3
    assert v["stats"]["splits"]["val"]["frames_with"] == {"facial_nerve": 3}
    code = world.patients["test"].code
    assert v["stats"]["patients"][code]["share"] == pytest.approx(144 / (64 * 48), abs=1e-4)
    assert 0 < v["stats"]["class_balance"]["train"]["facial_nerve"] < 0.1


def test_same_state_gives_the_same_checksum_and_edits_never_alter_a_version(world: World) -> None:
    first = freeze(world)
    second = freeze(world)
    assert first["checksum"] == second["checksum"]
    frame = world.frames["train"][0]
    approve(frame, square(2, 2, 20))  # a new approved revision
    patient_assign_split(patient=world.patients["test"], split="val")
    third = freeze(world)
    assert third["checksum"] != first["checksum"]
    v1 = DatasetVersion.objects.get(pk=first["id"])
    item = v1.items.get(frame=frame)
    assert item.revision.shapes == square(8, 8, 12)
    assert v1.patients[world.patients["test"].code] == "test"
    assert v1.items.filter(split="test").count() == 3
    diff = (
        world.client("ml_staff").get(f"/api/v1/versions/{first['id']}/diff/{third['id']}/").json()
    )
    assert diff["counts"] == {"added": 0, "removed": 0, "changed": 1, "moved_patients": 1}
    assert diff["changed"] == [frame.pk]
    assert diff["moved_patients"] == [
        {"patient": world.patients["test"].code, "from": "test", "to": "val"}
    ]
    same = (
        world.client("ml_staff").get(f"/api/v1/versions/{first['id']}/diff/{second['id']}/").json()
    )
    assert same["same_content"]


def test_diff_counts_added_and_removed_frames(world: World) -> None:
    first = freeze(world)
    add_patient(world.project, "train", 2)
    Annotation.objects.filter(frame=world.frames["val"][0]).update(status="submitted")
    second = freeze(world)
    diff = (
        world.client("data_manager")
        .get(f"/api/v1/versions/{first['id']}/diff/{second['id']}/")
        .json()
    )
    assert diff["counts"]["added"] == 2
    assert diff["removed"] == [world.frames["val"][0].pk]
    assert len(diff["new_patients"]) == 1


def test_blocking_leakage_refuses_the_freeze_unless_overridden_with_a_reason(world: World) -> None:
    train, test = world.frames["train"][0], world.frames["test"][0]
    test.phash = train.phash
    test.save()
    r = world.client("data_manager").post(URL, {}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "leakage_blocking"
    assert r.json()["findings"][0]["kind"] == "near_duplicate_frames"
    assert not DatasetVersion.objects.exists()
    v = freeze(world, override_reason="checked by hand: static calibration frame")
    assert v["override_reason"].startswith("checked by hand")
    assert v["findings"][0]["pairs"] == [sorted([train.pk, test.pk])]
    event = AuditEvent.objects.get(action="version.freeze_override")
    assert event.detail["override_reason"].startswith("checked by hand")


def test_only_data_managers_freeze(world: World) -> None:
    for role in ("annotator", "ml_staff"):
        assert world.client(role).post(URL, {}, format="json").status_code == 403
    assert world.client("outsider").post(URL, {}, format="json").status_code == 404
    freeze(world)
    assert (
        world.client("outsider")
        .get(f"/api/v1/versions/{DatasetVersion.objects.get().pk}/")
        .status_code
        == 404
    )
    assert len(world.client("annotator").get(URL).json()) == 1


def test_a_patient_inside_a_frozen_version_cannot_be_deleted(world: World) -> None:
    freeze(world)
    with pytest.raises(Conflict, match="frozen dataset version"):
        patient_delete(patient=world.patients["train"])
    assert Patient.objects.filter(pk=world.patients["train"].pk).exists()
    r = world.client("data_manager").delete(f"/api/v1/patients/{world.patients['val'].pk}/")
    assert r.status_code == 409
