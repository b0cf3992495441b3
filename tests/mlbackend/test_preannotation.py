"""Pre-annotation by the active model: jobs, scopes, idempotence, faults, FullGrad and the live
quality figures, run in-process (the worker path is in tests/queue/test_preannotation_worker.py).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from annotator import geometry
from annotator.models import Prediction
from annotator.services.predictions import prediction_store
from datasets.models import BackgroundJob, Frame, JobKind, Video
from datasets.services.jobs import job_cancel
from datasets.signals import frames_extracted
from mlbackend.models import ModelVersion
from mlbackend.services import preannotation
from tests.factories import (
    RolesWorld,
    make_frames,
    make_patient,
    make_video,
    model_row,
    preannotated_frame,
    put,
    run_preannotation,
    square,
    trained_model,
)

pytestmark = pytest.mark.usefixtures("_scratch")


def _preannotate(world: RolesWorld, model: Any, role: str = "ml_staff", **body: Any) -> Any:
    return world.client(role).post(
        f"/api/v1/models/{model.pk}/preannotate/", body or {"scope": "project"}, format="json"
    )


def _png(world: RolesWorld, url: str) -> np.ndarray:
    r = world.client("annotator").get(url)
    assert r.status_code == 200, url
    assert r["Content-Type"] == "image/png"
    raw = b"".join(r.streaming_content)
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)


@pytest.mark.slow
def test_activation_drafts_every_unannotated_frame_once_with_scores_and_maps(
    roles_world: RolesWorld,
) -> None:
    frame, prediction = preannotated_frame(roles_world)
    model = prediction.model_version
    job = BackgroundJob.objects.get(kind=JobKind.PREANNOTATION, params__model=model.pk)
    unannotated = Frame.objects.filter(video__project=roles_world.project, annotation=None)
    assert job.result["predicted"] == unannotated.count() == 4  # the split patients' are approved
    assert job.result["failed"] == 0
    assert job.progress == 1.0
    assert job.created_by is None  # queued by the activation itself
    assert set(Prediction.objects.values_list("frame", flat=True)) == set(
        unannotated.values_list("pk", flat=True)
    )

    listed = roles_world.client("annotator").get(f"/api/v1/frames/{frame.pk}/predictions/").json()
    first = listed[0]
    assert first["model_version"] == model.pk
    assert first["is_active_model"] is True
    assert first["model_name"] == f"Model {model.number} · Improved U-Net (lite)"
    assert 0 <= first["confidence"] <= 1
    assert 0 <= first["uncertainty"] <= 1
    assert first["saliency_url"] is None
    probability = _png(roles_world, first["probability_url"])
    assert probability.shape == (frame.height, frame.width)  # small frames keep their size
    assert probability.dtype == np.uint8
    # its shapes are what the annotator's own tracer makes of the model's mask
    geometry.shapes_validate(
        first["shapes"], width=frame.width, height=frame.height, labels=["facial_nerve"]
    )

    # the same message again does nothing; a new job finds nothing left to do
    run_preannotation(job)
    again = run_preannotation(preannotation.preannotate_start(model=model, by=None))
    assert again.status == "succeeded"
    assert again.result["predicted"] == 0
    assert Prediction.objects.count() == 4


@pytest.mark.slow
def test_an_unreadable_frame_fails_alone_and_a_cancelled_job_resumes_where_it_stopped(
    roles_world: RolesWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = trained_model(roles_world)
    video = make_video(roles_world.project, roles_world.patient)
    frames = make_frames(video, 6)
    broken = frames[2]
    default_storage.delete(broken.image.name)
    default_storage.save(broken.image.name, ContentFile(b"not a jpeg"))
    monkeypatch.setattr(preannotation, "BATCH", 2)
    stored: list[int] = []
    real_store = preannotation.prediction_store

    def store_then_cancel(**kwargs: Any) -> Any:
        stored.append(kwargs["frame"].pk)
        out = real_store(**kwargs)
        if len(stored) == 3:
            job_cancel(job=BackgroundJob.objects.get(pk=job.pk))
        return out

    monkeypatch.setattr(preannotation, "prediction_store", store_then_cancel)
    job = preannotation.preannotate_start(
        model=model, scope="video", scope_id=video.pk, by=roles_world.users["ml_staff"]
    )
    assert run_preannotation(job).status == "cancelled"
    assert Prediction.objects.filter(frame__video=video).count() == 3  # two batches, one bad

    monkeypatch.setattr(preannotation, "prediction_store", real_store)
    resumed = run_preannotation(
        preannotation.preannotate_start(model=model, scope="video", scope_id=video.pk, by=None)
    )
    assert resumed.status == "succeeded"
    assert resumed.result["frames"] == 3  # the broken frame and the two not reached
    assert resumed.result["predicted"] == 2
    assert resumed.result["failed"] == 1
    assert resumed.result["failures"] == [
        {"frame": broken.pk, "reason": f"Frame {broken.index}: its image file cannot be decoded."}
    ]
    predicted = set(Prediction.objects.filter(frame__video=video).values_list("frame", flat=True))
    assert predicted == {f.pk for f in frames} - {broken.pk}


def test_preannotate_route_scopes_roles_and_overlapping_jobs(roles_world: RolesWorld) -> None:
    model = model_row(roles_world.project)
    video = roles_world.video
    r = _preannotate(roles_world, model, scope="video", id=video.pk)
    assert r.status_code == 202, r.json()
    assert r.json()["kind"] == "preannotation"
    assert r.json()["status"] == "queued"
    for body in (
        {"scope": "video", "id": video.pk},
        {"scope": "patient", "id": video.patient_id},
        {"scope": "project"},
    ):
        r = _preannotate(roles_world, model, "data_manager", **body)
        assert r.status_code == 409, body
        assert "already pre-annotating" in r.json()["detail"]
    elsewhere = make_patient(roles_world.project)
    assert _preannotate(roles_world, model, scope="patient", id=elsewhere.pk).status_code == 202
    # a patient or video of another project is not found, nor is another project's model
    bravo_video = make_video(roles_world.other)
    r = _preannotate(roles_world, model, scope="video", id=bravo_video.pk)
    assert r.status_code == 404
    other_model = model_row(roles_world.other)
    assert _preannotate(roles_world, other_model).status_code == 404
    assert _preannotate(roles_world, model, "outsider").status_code == 404
    r = _preannotate(roles_world, model, "annotator", scope="patient", id=elsewhere.pk)
    assert r.status_code == 403
    assert "Your role" in r.json()["detail"]
    assert _preannotate(roles_world, model, scope="patient").status_code == 400
    assert _preannotate(roles_world, model, scope="galaxy").status_code == 400
    assert BackgroundJob.objects.filter(kind=JobKind.PREANNOTATION).count() == 2


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_activating_a_model_with_missing_or_damaged_weights_is_refused(
    roles_world: RolesWorld, damage: str
) -> None:
    model = model_row(roles_world.project)
    if damage == "changed":
        default_storage.save(model.weights, ContentFile(b"\x80\x04 a pickle, say"))
    r = roles_world.client("ml_staff").post(f"/api/v1/models/{model.pk}/activate/")
    assert r.status_code == 400
    expected = "is missing" if damage == "missing" else "does not match its checksum"
    assert expected in r.json()["detail"]
    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert not BackgroundJob.objects.filter(kind=JobKind.PREANNOTATION).exists()


def test_new_frames_are_preannotated_only_while_a_model_is_active(roles_world: RolesWorld) -> None:
    video = roles_world.video
    frames_extracted.send(sender=Video, video_id=video.pk)
    assert not BackgroundJob.objects.filter(kind=JobKind.PREANNOTATION).exists()
    model = model_row(roles_world.project, is_active=True)
    frames_extracted.send(sender=Video, video_id=video.pk)
    job = BackgroundJob.objects.get(kind=JobKind.PREANNOTATION)
    assert job.params == {"model": model.pk, "number": 1, "scope": "video", "id": video.pk}
    frames_extracted.send(sender=Video, video_id=video.pk)  # already on its way: no second job
    assert BackgroundJob.objects.filter(kind=JobKind.PREANNOTATION).count() == 1


def _noisy_ring(n: int) -> list[list[float]]:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 18 + 3 * np.sin(t * 300)
    return np.c_[32 + r * np.cos(t), 24 + r * np.sin(t) * 0.9].round(3).tolist()


@pytest.mark.parametrize(
    ("name", "shapes", "fit"),
    [
        ("empty", [], lambda s: s == []),
        (
            "self-intersecting",
            [{"label": "facial_nerve", "polygons": [[[[2, 2], [30, 30], [30, 2], [2, 30]]]]}],
            lambda s: geometry.vertex_count(s) >= 6,  # the bow tie, as two triangles
        ),
        (
            "50,000 vertices",
            [{"label": "facial_nerve", "polygons": [[_noisy_ring(50_000)]]}],
            lambda s: 3 <= geometry.vertex_count(s) <= geometry.MAX_VERTICES_PER_POLYGON,
        ),
    ],
)
def test_machine_made_shapes_are_fitted_for_the_editor(
    roles_world: RolesWorld, name: str, shapes: Any, fit: Any
) -> None:
    frame = roles_world.frames[0]
    model = model_row(roles_world.project)
    prediction, created = prediction_store(
        frame=frame, model_version_id=model.pk, shapes=shapes, confidence=0.5, uncertainty=0.2
    )
    assert created
    assert fit(prediction.shapes), name
    geometry.shapes_validate(  # what the editor may save as it is
        prediction.shapes, width=frame.width, height=frame.height, labels=["facial_nerve"]
    )
    ann = roles_world.client("annotator")
    assert ann.get(f"/api/v1/frames/{frame.pk}/predictions/").status_code == 200
    assert roles_world.page_client("annotator").get(f"/frames/{frame.pk}/edit/").status_code == 200
    body = {"shapes": prediction.shapes, "source": "model", "prediction": prediction.pk}
    assert put(ann, frame.pk, body, 0).status_code == 200
    # one per frame and model: storing again answers the stored row
    again, created = prediction_store(
        frame=frame, model_version_id=model.pk, shapes=square(0, 0, 9)
    )
    assert not created
    assert again.pk == prediction.pk


def test_live_quality_measures_what_the_model_saved_the_annotators(
    roles_world: RolesWorld,
) -> None:
    model = model_row(roles_world.project)
    ann = roles_world.client("annotator")
    drafts = [
        prediction_store(frame=f, model_version_id=model.pk, shapes=square(4, 4, 20))[0]
        for f in roles_world.frames[:3]
    ]
    unchanged, moved, scratch = roles_world.frames[:3]
    body = {"shapes": drafts[0].shapes, "source": "model", "prediction": drafts[0].pk}
    assert put(ann, unchanged.pk, {**body, "edit_seconds": 2.0}, 0).status_code == 200
    edited = [{"label": "facial_nerve", "polygons": [[[[4, 4], [30, 4], [24, 24], [4, 24]]]]}]
    body = {"shapes": edited, "source": "model", "prediction": drafts[1].pk}
    assert put(ann, moved.pk, {**body, "edit_seconds": 10.5}, 0).status_code == 200
    r = put(ann, moved.pk, {"shapes": edited, "source": "model", "edit_seconds": 4}, 1)
    assert r.json()["edit_seconds"] == 14.5  # summed over the saves
    # drawn by hand on a predicted frame: not a frame that started from the prediction
    assert (
        put(ann, scratch.pk, {"shapes": square(0, 0, 8), "source": "manual"}, 0).status_code == 200
    )

    live = roles_world.client("ml_staff").get(f"/api/v1/models/{model.pk}/").json()["live_quality"]
    assert live["predicted_frames"] == 3
    assert live["frames"] == 2
    assert live["accepted_unchanged"] == 0.5
    assert live["mean_iou"] == pytest.approx((1 + 400 / 460) / 2, abs=0.02)
    assert live["vertices_per_frame"] == {"kept": 3.5, "moved": 0.5, "added": 0.0, "deleted": 0.0}
    assert live["median_edit_seconds"] == pytest.approx((2.0 + 14.5) / 2)
    assert live["timed_frames"] == 2
    assert put(ann, moved.pk, {"shapes": edited, "edit_seconds": 4000}, 2).status_code == 400


@pytest.mark.slow
def test_fullgrad_is_computed_once_per_prediction_kept_and_served(
    roles_world: RolesWorld,
) -> None:
    frame, prediction = preannotated_frame(roles_world)
    ann = roles_world.client("annotator")
    url = f"/api/v1/predictions/{prediction.pk}/saliency/"
    assert ann.get(url).json() == {"status": "none", "error": "", "url": None}
    first = ann.post(url)
    assert first.status_code == 202
    assert first.json()["status"] == "queued"
    assert ann.post(url).json()["job"] == first.json()["job"]  # on its way: no second job
    job = BackgroundJob.objects.get(pk=first.json()["job"])
    assert preannotation.saliency_run(job_id=str(job.id))
    state = ann.get(url).json()
    assert state["status"] == "done", state
    heat = _png(roles_world, state["url"])
    assert heat.shape == (frame.height, frame.width)
    assert heat.max() > 0
    assert ann.post(url).status_code == 200
    assert roles_world.client("ml_staff").post(url).json()["status"] == "done"  # kept, not redone
    listed = ann.get(f"/api/v1/frames/{frame.pk}/predictions/").json()
    assert listed[0]["saliency_url"] == state["url"]
    assert roles_world.client("outsider").get(url).status_code == 404
    assert roles_world.client("outsider").get(state["url"]).status_code == 404
    assert BackgroundJob.objects.filter(kind=JobKind.SALIENCY).count() == 1


@pytest.mark.slow
def test_a_draft_too_tangled_to_repair_fails_that_frame_alone(
    roles_world: RolesWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = trained_model(roles_world)
    rng = np.random.default_rng(0)
    star = (rng.random((2000, 2)) * [63, 47]).round(2).tolist()  # thousands of self-crossings
    real_trace = preannotation.mask_to_shapes
    calls: list[int] = []

    def tangled_first(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            return [{"label": "facial_nerve", "polygons": [[star]]}]
        return real_trace(*args, **kwargs)

    monkeypatch.setattr(preannotation, "mask_to_shapes", tangled_first)
    job = run_preannotation(preannotation.preannotate_start(model=model, by=None))
    assert job.status == "succeeded", job.error
    assert (job.result["predicted"], job.result["failed"]) == (3, 1)
    assert "crossing" in job.result["failures"][0]["reason"]
    assert Prediction.objects.count() == 3
