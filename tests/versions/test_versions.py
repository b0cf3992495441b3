"""Freezing: immutable snapshots, same state -> same checksum, leakage gate, diff."""

from __future__ import annotations

import pytest

from annotator.models import Annotation
from config.exceptions import Conflict
from datasets.models import AuditEvent, Patient
from datasets.services.patients import patient_assign_split, patient_delete
from datasets.versions.models import DatasetVersion
from tests.factories import RolesWorld, SplitPatients, add_patient, approve, square

URL = "/api/v1/projects/alpha/versions/"


def freeze(roles_world: RolesWorld, status: int = 201, **body: str) -> dict:
    r = roles_world.client("data_manager").post(URL, body, format="json")
    assert r.status_code == status, r.json()
    return r.json()


def test_freeze_snapshots_approved_frames_and_splits_with_stats(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    add_patient(roles_world.project, "unassigned", 2)  # not in any split: not in the version
    v = freeze(roles_world, name="first")
    assert v["number"] == 1
    assert v["frame_count"] == 9
    assert v["patients"] == {p.code: s for s, p in splits.patients.items()}
    assert v["stats"]["splits"]["train"]["frames"] == 3
    assert v["stats"]["splits"]["val"]["frames_with"] == {"facial_nerve": 3}
    code = splits.patients["test"].code
    assert v["stats"]["patients"][code]["share"] == pytest.approx(144 / (64 * 48), abs=1e-4)
    assert 0 < v["stats"]["class_balance"]["train"]["facial_nerve"] < 0.1


def test_same_state_gives_the_same_checksum_and_edits_never_alter_a_version(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    first = freeze(roles_world)
    frame = splits.frames["train"][0]
    approve(frame, square(2, 2, 20))  # a new approved revision
    patient_assign_split(patient=splits.patients["test"], split="val")
    third = freeze(roles_world)
    assert third["checksum"] != first["checksum"]
    v1 = DatasetVersion.objects.get(pk=first["id"])
    item = v1.items.get(frame=frame)
    assert item.revision.shapes == square(8, 8, 12)
    assert v1.patients[splits.patients["test"].code] == "test"
    assert v1.items.filter(split="test").count() == 3
    diff = (
        roles_world.client("ml_staff")
        .get(f"/api/v1/versions/{first['id']}/diff/{third['id']}/")
        .json()
    )
    assert diff["counts"] == {"added": 0, "removed": 0, "changed": 1, "moved_patients": 1}
    assert diff["changed"] == [frame.pk]
    assert diff["moved_patients"] == [
        {"patient": splits.patients["test"].code, "from": "test", "to": "val"}
    ]


def test_diff_counts_added_and_removed_frames(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    first = freeze(roles_world)
    add_patient(roles_world.project, "train", 2)
    Annotation.objects.filter(frame=splits.frames["val"][0]).update(status="submitted")
    second = freeze(roles_world)
    diff = (
        roles_world.client("data_manager")
        .get(f"/api/v1/versions/{first['id']}/diff/{second['id']}/")
        .json()
    )
    assert diff["counts"]["added"] == 2
    assert diff["removed"] == [splits.frames["val"][0].pk]
    assert len(diff["new_patients"]) == 1


def test_blocking_leakage_refuses_the_freeze_unless_overridden_with_a_reason(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    train, test = splits.frames["train"][0], splits.frames["test"][0]
    test.phash = train.phash
    test.save()
    r = roles_world.client("data_manager").post(URL, {}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "leakage_blocking"
    assert r.json()["findings"][0]["kind"] == "near_duplicate_frames"
    assert not DatasetVersion.objects.exists()
    v = freeze(roles_world, override_reason="checked by hand: static calibration frame")
    assert v["override_reason"].startswith("checked by hand")
    assert v["findings"][0]["pairs"] == [sorted([train.pk, test.pk])]
    event = AuditEvent.objects.get(action="version.freeze_override")
    assert event.detail["override_reason"].startswith("checked by hand")


@pytest.mark.usefixtures("splits")
def test_only_data_managers_freeze(roles_world: RolesWorld) -> None:
    for role in ("annotator", "ml_staff"):
        assert roles_world.client(role).post(URL, {}, format="json").status_code == 403
    assert roles_world.client("outsider").post(URL, {}, format="json").status_code == 404
    freeze(roles_world)
    assert (
        roles_world.client("outsider")
        .get(f"/api/v1/versions/{DatasetVersion.objects.get().pk}/")
        .status_code
        == 404
    )
    assert len(roles_world.client("annotator").get(URL).json()) == 1


def test_a_patient_inside_a_frozen_version_cannot_be_deleted(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    freeze(roles_world)
    with pytest.raises(Conflict, match="frozen dataset version"):
        patient_delete(patient=splits.patients["train"])
    assert Patient.objects.filter(pk=splits.patients["train"].pk).exists()
    r = roles_world.client("data_manager").delete(f"/api/v1/patients/{splits.patients['val'].pk}/")
    assert r.status_code == 409


def test_freezing_the_same_content_again_answers_200_with_the_existing_version(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    first = freeze(roles_world, name="first")
    again = freeze(roles_world, status=200, name="second try")
    assert again["id"] == first["id"]
    assert again["name"] == "first"  # the existing version, unchanged
    assert DatasetVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="version.freeze").count() == 1
    # A patient without approved frames changing split is not a change of the dataset.
    add_patient(roles_world.project, "train", 2, approved=0)
    assert freeze(roles_world, status=200)["id"] == first["id"]
    # New content is a new version; going back to the first content finds the first again.
    patient_assign_split(patient=splits.patients["test"], split="val")
    second = freeze(roles_world)
    assert second["number"] == 2
    assert second["checksum"] != first["checksum"]
    patient_assign_split(patient=splits.patients["test"], split="test")
    assert freeze(roles_world, status=200)["number"] == 1


def test_a_versions_patients_are_those_with_frames_in_it_and_every_count_agrees(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    add_patient(roles_world.project, "train", 2, approved=0)  # assigned, nothing approved
    v = freeze(roles_world)
    assert v["patients"] == {p.code: s for s, p in splits.patients.items()}
    assert v["stats"]["splits"]["train"]["patients"] == 1
