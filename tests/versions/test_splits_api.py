"""Moving patients, auto-assign and k-fold through the API; protected test patients."""

from __future__ import annotations

import pytest
from django.utils import timezone

from datasets.models import AuditEvent, Patient
from datasets.versions.services.splits import patients_mark_test_evaluated
from tests.factories import RolesWorld, SplitPatients, add_patient


@pytest.mark.usefixtures("splits")
def test_data_manager_moves_several_patients_at_once(roles_world: RolesWorld) -> None:
    a, _ = add_patient(roles_world.project, "unassigned", 2)
    b, _ = add_patient(roles_world.project, "unassigned", 2)
    r = roles_world.client("data_manager").post(
        "/api/v1/projects/alpha/splits/move/",
        {"patients": [a.pk, b.pk], "split": "val"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert set(Patient.objects.filter(pk__in=[a.pk, b.pk]).values_list("split", flat=True)) == {
        "val"
    }
    rows = {p["code"]: p for p in r.json()["patients"]}
    assert rows[a.code]["approved"] == 2
    assert rows[a.code]["nerve_share"] > 0
    assert r.json()["totals"]["val"]["patients"] == 3


def test_annotators_cannot_move_and_outsiders_do_not_see_the_project(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    body = {"patients": [splits.patients["train"].pk], "split": "test"}
    url = "/api/v1/projects/alpha/splits/move/"
    assert roles_world.client("annotator").post(url, body, format="json").status_code == 403
    assert roles_world.client("ml_staff").post(url, body, format="json").status_code == 403
    assert roles_world.client("outsider").post(url, body, format="json").status_code == 404
    assert Patient.objects.get(pk=splits.patients["train"].pk).split == "train"


@pytest.mark.usefixtures("splits")
def test_a_patient_of_another_project_cannot_be_moved_through_this_one(
    roles_world: RolesWorld,
) -> None:
    foreign, _ = add_patient(roles_world.other, "train", 1)
    r = roles_world.client("data_manager").post(
        "/api/v1/projects/alpha/splits/move/",
        {"patients": [foreign.pk], "split": "test"},
        format="json",
    )
    assert r.status_code == 400
    assert Patient.objects.get(pk=foreign.pk).split == "train"


def test_moving_an_evaluated_test_patient_needs_confirmation_and_is_audited(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    dm = roles_world.users["data_manager"]
    assert patients_mark_test_evaluated(project=roles_world.project, by=dm, note="model v3") == 1
    test = splits.patients["test"]
    url = "/api/v1/projects/alpha/splits/move/"
    r = roles_world.client("data_manager").post(
        url, {"patients": [test.pk], "split": "train"}, format="json"
    )
    assert r.status_code == 409
    assert r.json()["code"] == "test_patient_evaluated"
    assert r.json()["patients"] == [test.code]
    # The single-patient PATCH route is guarded by the same service.
    r = roles_world.client("data_manager").patch(
        f"/api/v1/patients/{test.pk}/", {"split": "val"}, format="json"
    )
    assert r.status_code == 409
    r = roles_world.client("data_manager").post(
        url, {"patients": [test.pk], "split": "train", "confirm_contamination": True}, format="json"
    )
    assert r.status_code == 400  # a reason is required
    assert Patient.objects.get(pk=test.pk).split == "test"
    r = roles_world.client("data_manager").post(
        url,
        {
            "patients": [test.pk],
            "split": "train",
            "confirm_contamination": True,
            "reason": "consent withdrawn for test use",
        },
        format="json",
    )
    assert r.status_code == 200
    event = AuditEvent.objects.get(action="patient.split_change_contaminating")
    assert event.detail["reason"] == "consent withdrawn for test use"
    assert event.username == "dm"
    assert event.detail["from"] == "test"


def test_auto_assign_previews_then_applies_only_unassigned_patients(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    new = [add_patient(roles_world.project, "unassigned", n)[0] for n in (3, 3, 2, 1)]
    url = "/api/v1/projects/alpha/splits/auto-assign/"
    preview = roles_world.client("annotator").post(
        url, {"ratios": [0.6, 0.2, 0.2], "seed": 7}, format="json"
    )
    assert preview.status_code == 200
    assert not preview.json()["applied"]
    # The preview moved no one: the 4 new patients and each project's own are still unassigned.
    unassigned = {roles_world.patient, roles_world.other_patient, *new}
    assert set(Patient.objects.filter(split="unassigned")) == unassigned
    assert (
        roles_world.client("annotator")
        .post(url, {"seed": 7, "apply": True}, format="json")
        .status_code
        == 403
    )
    r = roles_world.client("data_manager").post(
        url, {"ratios": [0.6, 0.2, 0.2], "seed": 7, "apply": True}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["moves"] == preview.json()["moves"]
    assert not Patient.objects.filter(pk__in=[p.pk for p in new], split="unassigned").exists()
    assert Patient.objects.get(pk=splits.patients["train"].pk).split == "train"
    assert Patient.objects.get(pk=roles_world.other_patient.pk).split == "unassigned"  # bravo
    assert AuditEvent.objects.filter(action="splits.auto_assign").count() == 1


def test_applying_a_preview_whose_plan_changed_moves_no_one(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    new = [add_patient(roles_world.project, "unassigned", n)[0] for n in (3, 2)]
    url = "/api/v1/projects/alpha/splits/auto-assign/"
    dm = roles_world.client("data_manager")
    preview = dm.post(url, {"seed": 3}, format="json").json()
    assert set(preview["moves"]) == {roles_world.patient.code, *(p.code for p in new)}
    add_patient(roles_world.project, "unassigned", 1)  # arrives between preview and apply
    r = dm.post(url, {"seed": 3, "apply": True, "expect_moves": preview["moves"]}, format="json")
    assert r.status_code == 409, r.json()
    assert r.json()["code"] == "plan_changed"
    assert "Preview again" in r.json()["detail"]
    assert Patient.objects.filter(project=roles_world.project, split="unassigned").count() == 4
    again = dm.post(url, {"seed": 3}, format="json").json()
    r = dm.post(url, {"seed": 3, "apply": True, "expect_moves": again["moves"]}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["moves"] == again["moves"]
    assert not Patient.objects.filter(project=roles_world.project, split="unassigned").exists()


def test_kfold_api_folds_train_and_val_patients_only(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    for n in (3, 2, 2, 1):
        add_patient(roles_world.project, "train", n)
    r = roles_world.client("ml_staff").post(
        "/api/v1/projects/alpha/splits/kfold/", {"k": 3, "seed": 1}, format="json"
    )
    assert r.status_code == 200
    codes = [c for fold in r.json()["folds"] for c in fold["patients"]]
    assert splits.patients["test"].code not in codes
    assert len(codes) == len(set(codes)) == 6


def test_evaluated_marker_ignores_non_test_patients(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    patients_mark_test_evaluated(project=roles_world.project, by=None)
    assert Patient.objects.get(pk=splits.patients["train"].pk).test_evaluated_at is None
    assert Patient.objects.get(pk=splits.patients["test"].pk).test_evaluated_at <= timezone.now()


def test_a_failed_import_is_not_counted_among_a_patients_videos(roles_world: RolesWorld) -> None:
    from tests.factories import make_video

    patient = roles_world.patient  # one ready video already
    failed = make_video(roles_world.project, patient)
    failed.status, failed.error = "failed", "Not a readable video file."
    failed.save(update_fields=["status", "error"])
    body = roles_world.client("data_manager").get("/api/v1/projects/alpha/splits/").json()
    row = next(p for p in body["patients"] if p["code"] == patient.code)
    assert row["videos"] == 1
