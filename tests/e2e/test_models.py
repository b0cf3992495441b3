"""ML staff train, watch, cancel, compare and activate models from the pages, in real Chromium.

Training runs on CPU on a tiny frozen version (64 px, batch 2): once on a real Celery worker of
queue `gpu` (page -> API -> Redis -> worker -> PostgreSQL -> page), otherwise in a thread of this
process through the same service the worker calls (`training_run`), slowed where a test needs a
job that is still running. NERVEMARK_DOC_SCREENSHOTS=1 refreshes the pictures in docs/img/."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import pytest
from django.core.files.storage import default_storage
from django.db import connection

from datasets.models import Frame, JobStatus, Project, Role
from datasets.services import jobs as job_services
from datasets.versions.models import DatasetVersion
from datasets.versions.services.freeze import version_freeze
from mlbackend.models import ModelEvaluation, ModelVersion, TrainingJob
from mlbackend.services.evaluation import evaluation_run, evaluation_start
from mlbackend.services.training import training_run, training_start
from mlbackend.training.config import Progress
from tests.e2e.test_login_and_roles import login
from tests.factories import add_patient, make_member, make_project, make_split_patients
from tests.queue.worker import celery_worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
TINY = {"image_size": 64, "batch_size": 2, "lr": 0.003}


def doc_screenshot(page: Any, name: str) -> None:
    """Refresh docs/img/ only when asked, so test runs leave the tracked images alone."""
    if os.environ.get("NERVEMARK_DOC_SCREENSHOTS"):
        page.screenshot(path=str(DOCS_IMG / name), full_page=True)


@dataclass
class World:
    version: DatasetVersion
    users: dict[str, Any]


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    """Project alpha: ml (ML staff), ann (annotator), dm (data manager); out is in bravo only.
    One frozen version with 3 train, 1 val and 2 test patients."""
    settings.NERVEMARK_WORK_DIR = tmp_path / "work"
    settings.NERVEMARK_TORCH_THREADS = 1
    settings.NERVEMARK_TRAIN_PROGRESS_S = 0
    project = make_project("alpha", name="Alpha study")
    users = {
        "ml": make_member(project, Role.ML_STAFF, "ml"),
        "ann": make_member(project, Role.ANNOTATOR, "ann"),
        "dm": make_member(project, Role.DATA_MANAGER, "dm"),
        "out": make_member(make_project("bravo"), Role.DATA_MANAGER, "out"),
    }
    make_split_patients(project)
    add_patient(project, "train", 4)
    add_patient(project, "train", 4)
    add_patient(project, "test", 3)
    paint_nerves(project)
    version = version_freeze(project=project, by=users["dm"], name="tiny")
    return World(version=version, users=users)


def paint_nerves(project: Project) -> None:
    """Make the factories' annotated square (12 px at 8,8) visible in every frame, pale like a
    nerve on tissue, so the tiny models learn something and the curves mean something."""
    for frame in Frame.objects.filter(video__project=project):
        path = default_storage.path(frame.image.name)
        image = cv2.imread(path)
        image[8:20, 8:20] = (170, 215, 230)  # BGR
        cv2.imwrite(path, image, [cv2.IMWRITE_JPEG_QUALITY, 95])


def train_here(world: World, **params: Any) -> ModelVersion:
    training = training_start(
        project=world.version.project,
        version=world.version,
        arch=params.pop("arch", "improved_unet_lite"),
        params={**TINY, **params},
        by=world.users["ml"],
        enqueue=False,
    )
    training_run(training_id=training.pk, job_id=str(training.job_id))
    return ModelVersion.objects.get(training_job=training)


def evaluate_here(world: World, model: ModelVersion) -> None:
    evaluation = evaluation_start(model=model, by=world.users["ml"], enqueue=False)
    evaluation_run(evaluation_id=evaluation.pk, job_id=str(evaluation.job_id))


@contextlib.contextmanager
def in_thread(work: Callable[[], None]) -> Iterator[threading.Thread]:
    """Run `work` (a worker's service call) beside the browser; its DB connection is closed."""

    def target() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        thread.join(timeout=120)
        assert not thread.is_alive(), "the background job did not stop"


def hold_after(epoch: int, job_id: str) -> Callable[[Progress], None]:
    """An observer that slows each step a little and, once `epoch` is recorded, waits at the
    next step until the job is no longer running (cancelled by the page): a job that is reliably
    mid-run when the test acts."""

    def observe(p: Progress) -> None:
        time.sleep(0.05)
        if p.phase == "train" and p.epoch > epoch:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if job_services.job_status(job_id=job_id) != JobStatus.RUNNING:
                    return
                time.sleep(0.1)

    return observe


def fill_train_form(page: Any, *, epochs: int, evaluate: bool = False) -> None:
    page.locator("#models-page[data-ready]").wait_for()  # the form's handler is attached
    form = page.get_by_test_id("train-form")
    form.get_by_label("Epochs").fill(str(epochs))
    form.get_by_label("Image size").fill("64")
    form.get_by_label("Batch size").fill("2")
    form.get_by_label("Learning rate").fill("0.003")
    if evaluate:
        form.get_by_label("Evaluate on the test split when done").check()
    page.get_by_test_id("start-training").click()


def legend(page: Any, chart: str) -> str:
    box = page.get_by_test_id(chart)
    box.locator("canvas").first.wait_for()
    return box.locator(".u-legend").inner_text()


@pytest.mark.queue
def test_ml_staff_train_on_a_worker_from_the_page_and_see_the_model_evaluated(
    page: Any,
    live_server: Any,
    world: World,
    postgres: str,
    redis_url: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    env = {
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "NERVEMARK_WORK_DIR": str(settings.NERVEMARK_WORK_DIR),
        "NERVEMARK_TORCH_THREADS": "1",
        "NERVEMARK_TRAIN_PROGRESS_S": "0",
    }
    log = tmp_path / "worker.log"
    login(page, live_server.url, "ml")
    page.get_by_role("link", name="Alpha study").click()
    page.get_by_test_id("models-link").click()
    page.locator("#models-page[data-ready]").wait_for()  # the form's handler is attached
    assert page.get_by_label("Architecture").input_value() == "improved_unet_lite"
    assert page.get_by_label("Epochs").input_value() == "30"
    # A bad value is refused by the API before anything is queued, as a sentence.
    page.get_by_label("Image size").fill("100")
    page.get_by_test_id("start-training").click()
    error = page.get_by_test_id("train-error")
    error.get_by_text("Image size: Must be a multiple of 32.").wait_for()
    assert "{" not in error.inner_text()
    assert not TrainingJob.objects.exists()

    with celery_worker(broker_url=redis_url, queues="gpu", log=log, extra_env=env):
        fill_train_form(page, epochs=3, evaluate=True)  # queued once the worker consumes
        row = page.locator("#jobs tr").first
        row.wait_for()
        assert page.get_by_test_id("train-error").inner_text() == ""
        training = TrainingJob.objects.get()
        assert training.params["then_evaluate"] is True
        assert training.params["epochs"] == 3
        finished = wait_for(
            lambda: ModelVersion.objects.filter(test_metrics__isnull=False).exists(),
            timeout=240,
            interval=0.5,
        )
        assert finished, log.read_text()[-3000:]
        # The page was polling: the job succeeded and the model shows its test IoU.
        page.locator("#jobs tr[data-status=succeeded]").wait_for(timeout=20000)
        model = ModelVersion.objects.get()
        # The rows are re-rendered by each poll: wait on the text, not on one element.
        cell = page.locator(f"#models tr[data-model='{model.pk}'] [data-testid=test-iou]")
        cell.get_by_text(f"{model.test_metrics['nerve_iou']:.3f}", exact=True).wait_for()

    row.get_by_role("link", name=f"#{training.pk}").click()
    page.get_by_test_id("job-status").get_by_text("succeeded").wait_for()
    assert "train loss" in legend(page, "loss-chart")
    assert "val loss" in legend(page, "loss-chart")
    assert "val nerve IoU" in legend(page, "val-chart")
    assert "val nerve Dice" in legend(page, "val-chart")
    assert "epoch 3/3" in page.get_by_test_id("log").inner_text()
    assert page.get_by_test_id("cancel").is_hidden()
    page.get_by_test_id("model-link").get_by_role("link").click()
    page.get_by_role("heading", name="Model 1").wait_for()
    page.locator("#metrics tr[data-metric=nerve_iou] td").nth(1).get_by_text(
        f"{model.test_metrics['nerve_iou']:.3f}"
    ).wait_for()


def test_ml_staff_watch_a_running_job_and_cancel_it(
    page: Any, live_server: Any, world: World
) -> None:
    done = train_here(world, epochs=3, seed=1)
    evaluate_here(world, done)
    login(page, live_server.url, "ml")
    page.goto(f"{live_server.url}/projects/alpha/models/")
    fill_train_form(page, epochs=40)
    page.locator("#jobs tr[data-status=queued]").wait_for()
    training = TrainingJob.objects.latest("created_at")
    job_id = str(training.job_id)
    run = lambda: training_run(  # noqa: E731
        training_id=training.pk, job_id=job_id, observer=hold_after(12, job_id)
    )
    with in_thread(run):
        # Live progress on the list: a bar and an ETA while it runs.
        running = page.locator(f"#jobs tr[data-job='{training.pk}'][data-status=running]")
        running.wait_for(timeout=60000)
        running.get_by_text("left").wait_for(timeout=60000)
        assert running.locator("progress").count() == 1
        assert wait_for(lambda: len(_history(training)) >= 12, timeout=120)
        page.wait_for_timeout(3000)  # one more poll, for the picture
        doc_screenshot(page, "models-page.png")
        running.get_by_role("link", name=f"#{training.pk}").click()
        page.get_by_test_id("job-status").get_by_text("running").wait_for()
        page.wait_for_function(
            "() => document.querySelectorAll('#loss-chart canvas, #val-chart canvas').length >= 2"
        )
        assert "train loss" in legend(page, "loss-chart")
        assert "val nerve Dice" in legend(page, "val-chart")
        assert page.get_by_test_id("eta").inner_text() != ""
        page.wait_for_timeout(500)
        doc_screenshot(page, "training-job.png")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("cancel").click()
        page.get_by_test_id("job-status").get_by_text("cancelled").wait_for()
    training.job.refresh_from_db()
    assert training.job.status == "cancelled"
    assert not ModelVersion.objects.filter(training_job=training).exists()
    assert page.get_by_test_id("cancel").is_hidden()


def _history(training: TrainingJob) -> list[dict[str, Any]]:
    training.refresh_from_db()
    return list(training.history)


def test_ml_staff_compare_two_evaluated_models_evaluate_a_third_and_activate_one(
    page: Any, live_server: Any, world: World
) -> None:
    a = train_here(world, epochs=8, seed=1)
    b = train_here(world, epochs=4, seed=7, arch="unet")
    c = train_here(world, epochs=3, seed=1)
    evaluate_here(world, a)
    evaluate_here(world, b)
    login(page, live_server.url, "ml")
    page.goto(f"{live_server.url}/projects/alpha/models/")
    page.get_by_label(f"compare model {a.number}").check()
    assert page.get_by_test_id("compare").is_disabled()
    page.get_by_label(f"compare model {b.number}").check()
    page.get_by_test_id("compare").click()
    page.wait_for_url(f"**/projects/alpha/models/compare/?ids={a.pk},{b.pk}")
    pooled = page.get_by_test_id("pooled")
    pooled.locator("tr").nth(2).wait_for()
    assert pooled.locator("tbody tr").count() == 2
    patients = page.locator("#patients tr")
    assert patients.count() == 2  # the two test patients, one row each
    first = patients.first.locator("td")
    code = first.first.inner_text()
    a.refresh_from_db()
    ev_a = ModelEvaluation.objects.get(model=a).report["per_patient"][code]["nerve_iou"]
    assert first.nth(1).inner_text() == f"{ev_a:.3f}"
    note = page.get_by_test_id("note")
    assert "too few for an interval" in note.inner_text()
    assert "Model 2 \u2212 model 1" in page.get_by_test_id("differences").inner_text()
    page.get_by_test_id("patient-chart").locator("canvas").wait_for()
    doc_screenshot(page, "models-compare.png")

    # A model without a test evaluation: the API's sentence, not a table.
    page.goto(f"{live_server.url}/projects/alpha/models/compare/?ids={a.pk},{c.pk}")
    page.get_by_test_id("compare-error").get_by_text(
        f"Model(s) {c.number} have no finished evaluation"
    ).wait_for()
    assert page.locator("#result").is_hidden()

    # Evaluate the third from its page: queued, run by "the worker", the page shows the result.
    page.goto(f"{live_server.url}/projects/alpha/models/{c.pk}/")
    page.get_by_test_id("per-patient").get_by_text("Not evaluated").wait_for()
    page.locator("#model-card[data-ready]").wait_for()  # the buttons' handlers are attached
    page.get_by_test_id("evaluate").click()
    page.locator("#evaluations tr[data-status=queued]").wait_for()
    evaluation = ModelEvaluation.objects.get(model=c)
    job_id = str(evaluation.job_id)
    with in_thread(lambda: evaluation_run(evaluation_id=evaluation.pk, job_id=job_id)):
        page.locator("#evaluations tr[data-status=succeeded]").wait_for(timeout=60000)
    page.get_by_test_id("patient-mean").wait_for()

    # Model 1's card: metrics, per-patient table with mean and interval, curves; activate.
    page.goto(f"{live_server.url}/projects/alpha/models/{a.pk}/")
    page.locator("#model-card[data-ready]").wait_for()
    page.get_by_test_id("patient-ci").wait_for()
    assert page.locator("#per-patient tr[data-patient]").count() == 2
    test_cells = page.locator("#metrics td:nth-child(3)")
    fn = page.locator("#metrics tr[data-metric=frame_fn_rate] td").nth(1).inner_text()
    assert fn.endswith("of 6 frames")  # 2 test patients x 3 frames, all with nerve
    fp = page.locator("#metrics tr[data-metric=frame_fp_rate] td").nth(1).inner_text()
    assert fp == "— (no frame without nerve)"
    assert test_cells.count() == 8
    assert "val nerve IoU" in legend(page, "val-chart")
    assert page.get_by_test_id("active-badge").is_hidden()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("activate").click()
    page.wait_for_timeout(300)
    a.refresh_from_db()
    assert not a.is_active  # "Cancel" in the confirmation changes nothing
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("activate").click()
    page.get_by_test_id("active-badge").wait_for()
    a.refresh_from_db()
    assert a.is_active
    assert page.get_by_test_id("activate").is_hidden()
    page.wait_for_timeout(300)
    doc_screenshot(page, "model-card.png")
    page.goto(f"{live_server.url}/projects/alpha/models/")
    page.locator(f"#models tr[data-model='{a.pk}'] [data-testid=active-badge]").wait_for()


def test_annotators_read_the_pages_and_outsiders_get_404(
    page: Any, live_server: Any, world: World
) -> None:
    model = train_here(world, epochs=2, seed=1)
    login(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/alpha/models/")
    page.locator(f"#models tr[data-model='{model.pk}']").wait_for()
    page.locator("#jobs tr[data-status=succeeded]").wait_for()
    assert page.get_by_test_id("train-form").count() == 0
    page.goto(f"{live_server.url}/projects/alpha/training-jobs/{model.training_job_id}/")
    assert "train loss" in legend(page, "loss-chart")
    assert page.get_by_test_id("cancel").count() == 0
    page.goto(f"{live_server.url}/projects/alpha/models/{model.pk}/")
    page.locator("#metrics tr").first.wait_for()
    for control in ("evaluate", "activate", "download"):
        assert page.get_by_test_id(control).count() == 0, control
    assert page.locator("main button").count() == 0
    page.get_by_role("button", name="Log out").click()

    login(page, live_server.url, "out")
    urls = [
        "/projects/alpha/models/",
        f"/projects/alpha/training-jobs/{model.training_job_id}/",
        f"/projects/alpha/models/{model.pk}/",
        f"/projects/alpha/models/compare/?ids={model.pk},{model.pk}",
    ]
    for url in urls:
        assert page.goto(f"{live_server.url}{url}").status == 404, url
