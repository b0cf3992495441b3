"""The editor's model layer in real Chromium, on a real model's prediction: the panel names the
model and how sure it was, the annotator accepts and edits its shapes (the save records where
they came from and the seconds of editing), and the probability and FullGrad heatmaps show over
the frame. Screenshots of each step go to /tmp/shots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch
from django.core.files.storage import default_storage
from shapely.geometry import Polygon

from annotator.models import Annotation
from mlbackend.services.preannotation import saliency_run
from tests.e2e.test_editor import (
    api_annotation,
    click_image,
    login,
    open_editor,
    ring0,
    shapes,
    to_screen,
    wait_saved,
    wait_until,
)
from tests.factories import RolesWorld, preannotated_frame

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
STAGE = "document.getElementById('ed-stage')"
OVERLAY_STATUS = "document.getElementById('ed-overlay-status').textContent"


@pytest.fixture
def _scratch(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Training scratch in the test's tmp dir; one torch thread (tiny model, shared machine)."""
    settings.NERVEMARK_WORK_DIR = tmp_path / "work"
    settings.NERVEMARK_TORCH_THREADS = 1
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(150)  # the overlay's next animation frame
    page.screenshot(path=str(SHOTS / f"model-layer-{name}.png"))


def easiest_vertex(ring: list[list[float]]) -> int:
    """The vertex whose removal changes the outline least (smallest triangle with its two
    neighbours): deleting it keeps the ring a simple polygon."""

    def area(i: int) -> float:
        (ax, ay), (bx, by), (cx, cy) = ring[i - 1], ring[i], ring[(i + 1) % len(ring)]
        return abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay))

    return min(range(len(ring)), key=area)


def overlay_matches_map(page: Any, frame: Any, name: str, colormap: str, at: Any) -> None:
    """The overlay canvas at a pixel of the stored grayscale map `name` (the map pixel under
    point `at`, sampled at its centre) shows that pixel's value through `colormap` of
    overlay.js, at the heatmap's opacity. The polygon layers must be off."""
    gray = cv2.imdecode(np.frombuffer(default_storage.open(name).read(), np.uint8), 0)
    assert gray is not None, f"{name} is not an image"
    h, w = gray.shape
    mx, my = int(at.x * w / frame.width), int(at.y * h / frame.height)
    x, y = (mx + 0.5) * frame.width / w, (my + 0.5) * frame.height / h
    seen, expected, opacity = page.evaluate(
        """async ([x, y, value, colormap]) => {
          const overlay = await import('/static/frontend/editor/overlay.js');
          const c = document.getElementById('ed-canvas');
          const v = window.__editor.view.viewport;
          const dpr = window.devicePixelRatio || 1;
          const px = c.getContext('2d').getImageData(
            Math.round((x * v.scale + v.x) * dpr), Math.round((y * v.scale + v.y) * dpr), 1, 1);
          return [[...px.data], overlay[colormap](value / 255), window.__editor.view.heatOpacity];
        }""",
        [x, y, int(gray[my, mx]), colormap],
    )
    alpha = expected[3] * opacity
    assert abs(seen[3] - alpha) <= 8, (seen, expected, opacity)
    if alpha > 40:  # below that, un-premultiplied colours are too coarse to compare
        assert all(abs(a - b) <= 10 for a, b in zip(seen[:3], expected[:3], strict=True)), (
            seen,
            expected,
        )


@pytest.mark.usefixtures("_scratch")
def test_annotator_accepts_edits_and_inspects_a_real_models_prediction(
    page: Any, live_server: Any, roles_world: RolesWorld
) -> None:
    frame, prediction = preannotated_frame(roles_world)
    model = prediction.model_version
    assert prediction.shapes, "the tiny model predicted no nerve on the frame"
    base = live_server.url
    login(page, base, "ann")
    started = time.monotonic()
    open_editor(page, base, frame.pk)

    # The model layer: which model, how sure; dashed shapes on the canvas.
    info = page.get_by_test_id("prediction-info").inner_text()
    assert info.startswith(f"Model {model.number} · ")
    assert f"confidence {prediction.confidence:.2f}" in info
    assert "not the active model" not in info
    assert page.evaluate("window.__editor.controller.prediction.length") > 0
    shot(page, "1-prediction")

    # Accept, look, then delete one vertex (Alt+click on the selected polygon).
    page.wait_for_timeout(400)  # a person reads the panel before accepting
    page.get_by_role("button", name="Accept prediction").click()
    accepted = ring0(page)
    assert accepted == prediction.shapes[0]["polygons"][0][0]
    inside = Polygon(accepted).representative_point()
    page.keyboard.press("-")  # zoom out: vertices on the frame's border are off the stage's edge
    click_image(page, inside.x, inside.y)  # select it
    page.wait_for_timeout(300)
    k = easiest_vertex(accepted)
    page.keyboard.down("Alt")
    click_image(page, *accepted[k])
    page.keyboard.up("Alt")
    assert ring0(page) == accepted[:k] + accepted[k + 1 :]
    wait_saved(page)
    elapsed = time.monotonic() - started
    shot(page, "2-accepted-edited")

    stored = api_annotation(page, base, frame.pk)
    assert stored["source"] == "model"
    assert stored["prediction"] == prediction.pk
    assert 0 < stored["edit_seconds"] <= elapsed
    row = Annotation.objects.get(frame=frame)
    assert (row.source, row.prediction_id) == ("model", prediction.pk)
    assert row.edit_seconds == pytest.approx(stored["edit_seconds"])

    # The probability map under the shapes, each pixel coloured from the stored map.
    page.get_by_label("mine", exact=True).uncheck()
    page.get_by_label("prediction", exact=True).uncheck()
    page.get_by_label("probability", exact=True).check()
    wait_until(page, f"{STAGE}.dataset.overlay === 'probability'")
    overlay_matches_map(page, frame, prediction.probability, "probabilityColor", inside)
    shot(page, "3-probability")

    # FullGrad: requested, computed by its task, then drawn with the hot colormap.
    with page.expect_response(f"**/api/v1/predictions/{prediction.pk}/saliency/") as posted:
        page.get_by_label("FullGrad", exact=True).check()
    answer = posted.value.json()
    assert posted.value.request.method == "POST"
    assert answer["status"] in {"queued", "running"}, answer
    status = page.get_by_test_id("overlay-status")
    wait_until(page, f"{OVERLAY_STATUS} === 'computing FullGrad…'")
    shot(page, "4-computing")
    # Test settings run no worker: the task's service, here, as the worker would.
    assert saliency_run(job_id=answer["job"])
    wait_until(page, f"{STAGE}.dataset.overlay === 'fullgrad'", timeout_s=15)
    assert status.inner_text() == ""
    prediction.refresh_from_db()
    overlay_matches_map(page, frame, prediction.saliency, "hotColor", inside)
    scale = page.evaluate("window.__editor.view.viewport.scale")
    page.mouse.move(*to_screen(page, inside.x, inside.y))
    page.mouse.wheel(0, -400)  # zoom in: the heatmap follows the frame
    wait_until(page, f"window.__editor.view.viewport.scale > {scale * 1.5}")
    page.wait_for_timeout(100)
    overlay_matches_map(page, frame, prediction.saliency, "hotColor", inside)
    page.get_by_label("mine", exact=True).check()
    shot(page, "5-fullgrad")

    # Back to none: nothing over the frame; the shapes and undo still work.
    page.get_by_label("none", exact=True).check()
    wait_until(page, f"{STAGE}.dataset.overlay === 'none'")
    page.keyboard.press("Control+z")  # the radio handed the keyboard back to the stage
    assert ring0(page) == accepted
    assert len(shapes(page)) == len(prediction.shapes)
