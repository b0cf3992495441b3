"""Deleting videos and patients, merging patients: who may, what is refused and why, what is
audited, and that the files go (after the commit) while nothing else does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from datasets.models import AuditEvent, BackgroundJob, Frame, Patient, UploadSession, Video
from datasets.versions.models import DatasetVersion
from datasets.versions.services.freeze import version_freeze
from tests.factories import RolesWorld, SplitPatients, add_patient, make_split_patients

pytestmark = pytest.mark.django_db(transaction=True)  # files go on commit: let it commit


def files_of(video: Video) -> list[str]:
    names = [
        n for f in video.frames.all() for n in (f.image.name, f.image.name[:-4] + ".thumb.jpg")
    ]
    assert names
    assert all(default_storage.exists(n) for n in names)
    return names


def freeze(world: RolesWorld) -> DatasetVersion:
    return version_freeze(
        project=world.project, by=world.users["data_manager"], override_reason="t"
    )


@pytest.fixture
def splits(roles_world: RolesWorld) -> SplitPatients:
    return make_split_patients(roles_world.project)


# --- deleting a video --------------------------------------------------------------------------


def test_a_data_manager_deletes_a_failed_video_with_its_files(roles_world: RolesWorld) -> None:
    video = roles_world.video
    Video.objects.filter(pk=video.pk).update(status="failed", error="Not a readable video file.")
    names = files_of(video)
    dm = roles_world.client("data_manager")
    r = dm.delete(f"/api/v1/videos/{video.pk}/")
    assert r.status_code == 204
    assert not Video.objects.filter(pk=video.pk).exists()
    assert not Frame.objects.filter(video_id=video.pk).exists()
    assert not [n for n in names if default_storage.exists(n)]
    event = AuditEvent.objects.get(action="video.delete")
    assert event.object_id == str(video.pk)
    assert event.username == "dm"
    assert event.detail["frames"] == 4
    assert Patient.objects.filter(pk=roles_world.patient.pk).exists()  # the patient stays


@pytest.mark.parametrize(
    ("role", "status"), [("annotator", 403), ("ml_staff", 403), ("outsider", 404)]
)
def test_only_data_managers_of_the_project_delete_videos(
    roles_world: RolesWorld, role: str, status: int
) -> None:
    r = roles_world.client(role).delete(f"/api/v1/videos/{roles_world.video.pk}/")
    assert r.status_code == status
    assert Video.objects.filter(pk=roles_world.video.pk).exists()
    assert all(default_storage.exists(n) for n in files_of(roles_world.video))


def test_a_video_in_a_frozen_version_is_not_deleted_and_the_answer_says_why(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    version = freeze(roles_world)
    video = Video.objects.get(patient=splits.patients["train"])
    names = files_of(video)
    r = roles_world.client("data_manager").delete(f"/api/v1/videos/{video.pk}/")
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "video_in_version"
    assert body["versions"] == [version.number]
    assert f"frozen dataset version {version.number}" in body["detail"]
    assert Video.objects.filter(pk=video.pk).exists()
    assert all(default_storage.exists(n) for n in names)
    assert not AuditEvent.objects.filter(action="video.delete").exists()


def test_a_video_being_processed_is_not_deleted(roles_world: RolesWorld) -> None:
    job = BackgroundJob.objects.create(kind="video_process", project=roles_world.project)
    Video.objects.filter(pk=roles_world.video.pk).update(job=job, status="extracting")
    r = roles_world.client("data_manager").delete(f"/api/v1/videos/{roles_world.video.pk}/")
    assert r.status_code == 409
    assert "being processed" in r.json()["detail"]
    BackgroundJob.objects.filter(pk=job.pk).update(status="cancelled")
    r = roles_world.client("data_manager").delete(f"/api/v1/videos/{roles_world.video.pk}/")
    assert r.status_code == 204


# --- deleting a patient ------------------------------------------------------------------------


def test_a_patient_without_frozen_frames_is_deleted_with_its_files(
    roles_world: RolesWorld,
) -> None:
    names = files_of(roles_world.video)
    r = roles_world.client("data_manager").delete(f"/api/v1/patients/{roles_world.patient.pk}/")
    assert r.status_code == 204
    assert not Patient.objects.filter(pk=roles_world.patient.pk).exists()
    assert not [n for n in names if default_storage.exists(n)]
    event = AuditEvent.objects.get(action="patient.delete")
    assert event.detail == {"code": roles_world.patient.code, "videos": [roles_world.video.pk]}


def test_a_patient_with_frozen_frames_is_not_deleted_and_the_answer_names_the_version(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    version = freeze(roles_world)
    patient = splits.patients["val"]
    r = roles_world.client("data_manager").delete(f"/api/v1/patients/{patient.pk}/")
    assert r.status_code == 409
    assert r.json()["code"] == "patient_in_version"
    assert f"version {version.number}" in r.json()["detail"]
    assert Patient.objects.filter(pk=patient.pk).exists()


# --- merging patients --------------------------------------------------------------------------


def test_merge_moves_every_video_into_the_other_patient_and_removes_the_empty_one(
    roles_world: RolesWorld,
) -> None:
    source = roles_world.patient
    into, into_frames = add_patient(roles_world.project, "test", 2)
    upload = UploadSession.objects.create(
        project=roles_world.project, patient=source, size_bytes=10, chunk_size=65536
    )
    r = roles_world.client("data_manager").post(
        f"/api/v1/patients/{source.pk}/merge/", {"into": into.pk}, format="json"
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["id"] == into.pk
    assert body["split"] == "test"
    assert body["merged"] == {
        "code": source.code,
        "videos": [roles_world.video.pk],
        "removed": True,
    }
    assert Video.objects.get(pk=roles_world.video.pk).patient_id == into.pk
    assert Frame.objects.filter(video__patient=into).count() == 4 + len(into_frames)
    assert UploadSession.objects.get(pk=upload.pk).patient_id == into.pk
    assert not Patient.objects.filter(pk=source.pk).exists()
    assert all(default_storage.exists(n) for n in files_of(roles_world.video))
    event = AuditEvent.objects.get(action="patient.merge")
    assert event.object_id == str(into.pk)
    assert event.detail == {
        "from": source.code,
        "from_split": "unassigned",
        "split": "test",
        "videos": [roles_world.video.pk],
        "from_removed": True,
    }


@pytest.mark.parametrize(
    ("role", "status"), [("annotator", 403), ("ml_staff", 403), ("outsider", 404)]
)
def test_only_data_managers_of_the_project_merge(
    roles_world: RolesWorld, role: str, status: int
) -> None:
    into, _ = add_patient(roles_world.project, "train", 1)
    r = roles_world.client(role).post(
        f"/api/v1/patients/{roles_world.patient.pk}/merge/", {"into": into.pk}, format="json"
    )
    assert r.status_code == status
    assert roles_world.video.patient_id == Video.objects.get(pk=roles_world.video.pk).patient_id


def test_merge_into_itself_another_project_or_nothing_is_refused_in_words(
    roles_world: RolesWorld,
) -> None:
    dm = roles_world.client("data_manager")
    url = f"/api/v1/patients/{roles_world.patient.pk}/merge/"
    cases = [
        ({"into": roles_world.patient.pk}, "cannot be merged into itself"),
        ({"into": roles_world.other_patient.pk}, "There is no patient"),
        ({"into": 987654}, "There is no patient"),
    ]
    for body, words in cases:
        r = dm.post(url, body, format="json")
        assert r.status_code == 400, body
        assert words in r.json()["detail"]
    r = dm.post(url, {}, format="json")
    assert r.status_code == 400
    assert Video.objects.get(pk=roles_world.video.pk).patient_id == roles_world.patient.pk


def test_merge_is_refused_when_a_frozen_version_holds_the_two_in_different_splits(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    version = freeze(roles_world)
    train, val = splits.patients["train"], splits.patients["val"]
    r = roles_world.client("data_manager").post(
        f"/api/v1/patients/{train.pk}/merge/", {"into": val.pk}, format="json"
    )
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "merge_splits_frozen"
    assert body["version"] == version.number
    assert body["splits"] == ["train", "val"]
    assert "two splits (train and val) of frozen dataset version" in body["detail"]
    assert Video.objects.filter(patient=train).count() == 1
    assert not AuditEvent.objects.filter(action="patient.merge").exists()


def test_a_frozen_patient_merged_in_the_same_split_stays_empty_for_its_version(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    freeze(roles_world)
    train = splits.patients["train"]
    other, _ = add_patient(roles_world.project, "train", 2)
    r = roles_world.client("data_manager").post(
        f"/api/v1/patients/{train.pk}/merge/", {"into": other.pk}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["merged"]["removed"] is False  # version 1 still names it
    assert not Video.objects.filter(patient=train).exists()
    # A later merge of the new holder is checked against the frames it holds now: version 1
    # has them in train, so the holder cannot join a val patient of that version.
    r = roles_world.client("data_manager").post(
        f"/api/v1/patients/{other.pk}/merge/", {"into": splits.patients["val"].pk}, format="json"
    )
    assert r.status_code == 409
    assert r.json()["splits"] == ["train", "val"]


def test_an_evaluated_test_patient_is_not_merged_out_of_test(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    test = splits.patients["test"]
    Patient.objects.filter(pk=test.pk).update(test_evaluated_at=timezone.now())
    fresh, _ = add_patient(roles_world.project, "train", 1)
    dm = roles_world.client("data_manager")
    r = dm.post(f"/api/v1/patients/{test.pk}/merge/", {"into": fresh.pk}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "test_patient_evaluated"
    other_test, _ = add_patient(roles_world.project, "test", 1)
    r = dm.post(f"/api/v1/patients/{test.pk}/merge/", {"into": other_test.pk}, format="json")
    assert r.status_code == 200, r.json()
    assert Patient.objects.get(pk=other_test.pk).test_evaluated_at is not None


# --- error texts -------------------------------------------------------------------------------


def test_an_empty_upload_is_refused_with_a_sentence(roles_world: RolesWorld) -> None:
    r = roles_world.client("data_manager").post(
        "/api/v1/uploads/", {"patient": roles_world.patient.pk, "size_bytes": 0}, format="json"
    )
    assert r.status_code == 400
    assert r.json()["detail"] == "The file is empty (0 bytes)."


def test_job_and_video_errors_never_show_a_server_path(
    roles_world: RolesWorld, settings: Any
) -> None:
    where = f"{settings.MEDIA_ROOT}/incoming/0f3a"
    job = BackgroundJob.objects.create(
        kind="video_process", project=roles_world.project, status="failed", error=f"x: '{where}'"
    )
    Video.objects.filter(pk=roles_world.video.pk).update(
        status="failed", error=f"Not a readable video file ('{where}').", job=job
    )
    dm = roles_world.client("data_manager")
    for url in (f"/api/v1/videos/{roles_world.video.pk}/", f"/api/v1/jobs/{job.pk}/"):
        text = dm.get(url).content.decode()
        assert str(Path(settings.MEDIA_ROOT)) not in text
        assert "the file" in text


# --- the Django admin --------------------------------------------------------------------------


def test_the_admin_deletes_patients_through_the_service_and_refuses_frozen_ones(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    freeze(roles_world)
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("boss", password="x"))
    frozen = splits.patients["val"]
    r = admin.get(f"/admin/datasets/patient/{frozen.pk}/delete/", follow=True)
    assert f"Patient {frozen.code} cannot be deleted" in r.content.decode()
    r = admin.post(f"/admin/datasets/patient/{frozen.pk}/delete/", {"post": "yes"}, follow=True)
    assert Patient.objects.filter(pk=frozen.pk).exists()
    names = files_of(roles_world.video)
    loose = roles_world.patient
    r = admin.post(f"/admin/datasets/patient/{loose.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert not Patient.objects.filter(pk=loose.pk).exists()
    assert not [n for n in names if default_storage.exists(n)]
    assert AuditEvent.objects.get(action="patient.delete").username == "boss"
    # Read-only where immutable: no adding patients or videos, no deleting frames or revisions.
    assert admin.get("/admin/datasets/patient/add/").status_code == 403
    assert admin.get("/admin/datasets/video/add/").status_code == 403
    frame = Frame.objects.first()
    assert admin.get(f"/admin/datasets/frame/{frame.pk}/delete/").status_code == 403
    for model in ("annotation", "annotationrevision", "prediction", "labelclass"):
        assert admin.get(f"/admin/annotator/{model}/").status_code == 200, model
        assert admin.get(f"/admin/annotator/{model}/add/").status_code == 403, model
