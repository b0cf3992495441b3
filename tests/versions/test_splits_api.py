"""Moving patients, auto-assign and k-fold through the API; protected test patients."""

from __future__ import annotations

from django.utils import timezone

from datasets.models import AuditEvent, Patient
from datasets.versions.splits import patients_mark_test_evaluated
from tests.versions.conftest import World, add_patient


def test_data_manager_moves_several_patients_at_once(world: World) -> None:
    a, _ = add_patient(world.project, "unassigned", 2)
    b, _ = add_patient(world.project, "unassigned", 2)
    r = world.client("data_manager").post(
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


def test_annotators_cannot_move_and_outsiders_do_not_see_the_project(world: World) -> None:
    body = {"patients": [world.patients["train"].pk], "split": "test"}
    url = "/api/v1/projects/alpha/splits/move/"
    assert world.client("annotator").post(url, body, format="json").status_code == 403
    assert world.client("ml_staff").post(url, body, format="json").status_code == 403
    assert world.client("outsider").post(url, body, format="json").status_code == 404
    assert Patient.objects.get(pk=world.patients["train"].pk).split == "train"


def test_a_patient_of_another_project_cannot_be_moved_through_this_one(world: World) -> None:
    foreign, _ = add_patient(world.other, "train", 1)
    r = world.client("data_manager").post(
        "/api/v1/projects/alpha/splits/move/",
        {"patients": [foreign.pk], "split": "test"},
        format="json",
    )
    assert r.status_code == 400
    assert Patient.objects.get(pk=foreign.pk).split == "train"


def test_moving_an_evaluated_test_patient_needs_confirmation_and_is_audited(world: World) -> None:
    dm = world.users["data_manager"]
    assert patients_mark_test_evaluated(project=world.project, by=dm, note="model v3") == 1
    test = world.patients["test"]
    url = "/api/v1/projects/alpha/splits/move/"
    r = world.client("data_manager").post(
        url, {"patients": [test.pk], "split": "train"}, format="json"
    )
    assert r.status_code == 409
    assert r.json()["code"] == "test_patient_evaluated"
    assert r.json()["patients"] == [test.code]
    # The single-patient PATCH route is guarded by the same service.
    r = world.client("data_manager").patch(
        f"/api/v1/patients/{test.pk}/", {"split": "val"}, format="json"
    )
    assert r.status_code == 409
    r = world.client("data_manager").post(
        url, {"patients": [test.pk], "split": "train", "confirm_contamination": True}, format="json"
    )
    assert r.status_code == 400  # a reason is required
    assert Patient.objects.get(pk=test.pk).split == "test"
    r = world.client("data_manager").post(
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


def test_auto_assign_previews_then_applies_only_unassigned_patients(world: World) -> None:
    new = [add_patient(world.project, "unassigned", n)[0] for n in (3, 3, 2, 1)]
    url = "/api/v1/projects/alpha/splits/auto-assign/"
    preview = world.client("annotator").post(
        url, {"ratios": [0.6, 0.2, 0.2], "seed": 7}, format="json"
    )
    assert preview.status_code == 200
    assert not preview.json()["applied"]
    assert Patient.objects.filter(split="unassigned").count() == 4
    assert (
        world.client("annotator").post(url, {"seed": 7, "apply": True}, format="json").status_code
        == 403
    )
    r = world.client("data_manager").post(
        url, {"ratios": [0.6, 0.2, 0.2], "seed": 7, "apply": True}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["moves"] == preview.json()["moves"]
    assert not Patient.objects.filter(pk__in=[p.pk for p in new], split="unassigned").exists()
    assert Patient.objects.get(pk=world.patients["train"].pk).split == "train"
    assert AuditEvent.objects.filter(action="splits.auto_assign").count() == 1


def test_kfold_api_folds_train_and_val_patients_only(world: World) -> None:
    for n in (3, 2, 2, 1):
        add_patient(world.project, "train", n)
    r = world.client("ml_staff").post(
        "/api/v1/projects/alpha/splits/kfold/", {"k": 3, "seed": 1}, format="json"
    )
    assert r.status_code == 200
    codes = [c for fold in r.json()["folds"] for c in fold["patients"]]
    assert world.patients["test"].code not in codes
    assert len(codes) == len(set(codes)) == 6


def test_evaluated_marker_ignores_non_test_patients(world: World) -> None:
    patients_mark_test_evaluated(project=world.project, by=None)
    assert Patient.objects.get(pk=world.patients["train"].pk).test_evaluated_at is None
    assert Patient.objects.get(pk=world.patients["test"].pk).test_evaluated_at <= timezone.now()
