"""Moving the versions models to their own app keeps every row: the migration is state only.

The database is migrated back to the schema before the move (datasets 0003), a version, its
items and an export are written there with the historical models, and the forward migration
must leave the same rows readable through `datasets.versions.models`."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("datasets", "0003_dataset_versions"),
    ("annotator", "0001_initial"),
    ("contenttypes", "0002_remove_content_type_name"),
]
AFTER = [("versions", "0001_initial")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def _back_to_latest():
    """Whatever happens, leave the schema at the newest migrations for the tests after this one
    (migrating back to datasets 0003 unapplies every migration that came later)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_latest")
def test_versions_move_keeps_rows_and_content_types() -> None:
    old = _migrate(BEFORE)
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.get_or_create(app_label="datasets", model="datasetversion")
    User = old.get_model("auth", "User")
    Project = old.get_model("datasets", "Project")
    Patient = old.get_model("datasets", "Patient")
    Video = old.get_model("datasets", "Video")
    Frame = old.get_model("datasets", "Frame")
    Annotation = old.get_model("annotator", "Annotation")
    Revision = old.get_model("annotator", "AnnotationRevision")
    user = User.objects.create(username="mover")
    project = Project.objects.create(slug="move", name="Move")
    patient = Patient.objects.create(project=project, code="P-MOVE01", split="train")
    video = Video.objects.create(project=project, patient=patient, sha256="a" * 64)
    frame = Frame.objects.create(
        video=video, index=3, timestamp_ms=100.0, width=8, height=8, sharpness=1.0, phash="0" * 16
    )
    annotation = Annotation.objects.create(
        frame=frame, project=project, shapes=[], status="approved", updated_at=timezone.now()
    )
    revision = Revision.objects.create(
        annotation=annotation, version=1, shapes=[], status="approved", source="manual"
    )
    OldVersion = old.get_model("datasets", "DatasetVersion")
    version = OldVersion.objects.create(
        project=project, number=1, checksum="c" * 64, frame_count=1, created_by=user
    )
    old.get_model("datasets", "DatasetVersionItem").objects.create(
        version=version,
        frame=frame,
        revision=revision,
        patient=patient,
        patient_code=patient.code,
        split="train",
        video_id=video.pk,
        frame_index=3,
    )
    export_id = uuid.uuid4()
    old.get_model("datasets", "DatasetExport").objects.create(
        id=export_id, version=version, format="coco", size_bytes=123
    )

    new = _migrate(AFTER)
    NewVersion = new.get_model("versions", "DatasetVersion")
    moved = NewVersion.objects.get(pk=version.pk)
    assert (moved.number, moved.checksum, moved.created_by_id) == (1, "c" * 64, user.pk)
    item = new.get_model("versions", "DatasetVersionItem").objects.get(version=moved)
    assert (item.frame_id, item.revision_id, item.split) == (frame.pk, revision.pk, "train")
    export = new.get_model("versions", "DatasetExport").objects.get(pk=export_id)
    assert (export.version_id, export.size_bytes) == (version.pk, 123)
    types = new.get_model("contenttypes", "ContentType").objects
    assert types.filter(app_label="versions", model="datasetversion").exists()
    assert not types.filter(app_label="datasets", model="datasetversion").exists()
