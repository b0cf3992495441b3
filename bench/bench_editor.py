"""The editor in real Chromium (headless, Playwright) against the embedded default served as
`make run` serves it (gunicorn, SQLite WAL, a throw-away var dir):

    .venv/bin/python bench/bench_editor.py [--frames 1000] [--steps 150] [--visits 500]

- first open: navigation start -> image, annotation, labels, prediction loaded and drawn, on a
  1920x1080 frame with a 2,000-vertex annotation and a prediction, and on a frame without;
- next frame: a `D` key press -> the next frame's image, annotation and predictions on screen,
  on a 1,000-frame video (every 4th frame annotated), with 300 ms between presses (an
  annotator glancing at each frame) and with none (the key held down);
- dragging one vertex of the 2,000-vertex polygon: frame interval and render time per frame;
- the page's memory after visiting 10 frames and after 500 (JS heap after a forced GC, DOM
  nodes, the renderer process's resident memory).

Prints one table (markdown). Measured, not asserted: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_annotation_api import free_port, fresh_django, pct, start_server  # noqa: E402

CHROMIUM = os.environ.get("NERVEMARK_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "bench-editor-pass-1"  # noqa: S105  (a throw-away user in a throw-away database)
DISTINCT_IMAGES = 24


def ring(n: int, cx: float, cy: float, r: float) -> list[list[float]]:
    return [
        [
            round(cx + r * math.cos(2 * math.pi * i / n) + 6 * math.sin(14 * math.pi * i / n), 2),
            round(cy + r * math.sin(2 * math.pi * i / n), 2),
        ]
        for i in range(n)
    ]


def _images(video_id: int) -> list[str]:
    """DISTINCT_IMAGES synthetic microsurgery frames (1920x1080 JPEG + thumbnail) in storage."""
    import cv2
    import numpy as np
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from datasets.services.frames import thumb_name
    from datasets.synth.render import make_renderer
    from datasets.synth.style import draw_patient_style

    rng = np.random.default_rng(5)
    renderer = make_renderer(rng, draw_patient_style(rng), size=(1920, 1080), duration_s=10.0)
    names = []
    for i in range(DISTINCT_IMAGES):
        image = renderer.render(i * 10).image
        name = f"frames/{video_id}/{i:07d}.jpg"
        default_storage.save(name, ContentFile(cv2.imencode(".jpg", image)[1].tobytes()))
        small = cv2.resize(image, (160, 90), interpolation=cv2.INTER_AREA)
        default_storage.save(
            thumb_name(name), ContentFile(cv2.imencode(".jpg", small)[1].tobytes())
        )
        names.append(name)
    return names


def _model_version(project: Any) -> Any:
    """A registry row without weights: enough for a prediction to name its model."""
    from datasets.models import BackgroundJob, JobKind
    from datasets.versions.models import DatasetVersion
    from mlbackend.models import ModelVersion, TrainingJob

    version = DatasetVersion.objects.create(project=project, number=1, checksum="1" * 64)
    job = BackgroundJob.objects.create(
        kind=JobKind.MODEL_TRAINING, project=project, status="succeeded"
    )
    training = TrainingJob.objects.create(
        project=project, dataset_version=version, job=job, arch="improved_unet_lite"
    )
    return ModelVersion.objects.create(
        project=project,
        number=1,
        training_job=training,
        arch="improved_unet_lite",
        weights="models/none.safetensors",
        sha256="0" * 64,
        dataset_version=version,
        dataset_checksum=version.checksum,
    )


def setup_database(var_dir: Path, frames: int) -> list[int]:
    """A fresh SQLite database: an annotator, one video of `frames` 1920x1080 frames, every 4th
    annotated (a 60-vertex polygon), frame 0 with a 2,000-vertex one and a prediction."""
    fresh_django(var_dir)
    from django.contrib.auth import get_user_model

    from annotator.services.annotations import annotation_save
    from annotator.services.predictions import prediction_store
    from datasets.models import Frame, Membership, Patient, Project, Video

    user = get_user_model().objects.create_user("bench", password=PASSWORD)
    project = Project.objects.create(slug="bench", name="Bench")
    Membership.objects.create(user=user, project=project, role="annotator")
    patient = Patient.objects.create(project=project, code="P-BENCH01")
    video = Video.objects.create(
        project=project, patient=patient, sha256="0" * 64, status="ready", width=1920, height=1080
    )
    names = _images(video.pk)
    rows = Frame.objects.bulk_create(
        Frame(
            video=video,
            index=i,
            timestamp_ms=i * 40.0,
            image=names[i % len(names)],
            width=1920,
            height=1080,
            sharpness=100.0,
            phash="0" * 16,
        )
        for i in range(frames)
    )
    small = [{"label": "facial_nerve", "polygons": [[ring(60, 900, 520, 220)]]}]
    for frame in rows[4::4]:
        annotation_save(frame=frame, user=user, expected_version=0, shapes=small)
    big = [{"label": "facial_nerve", "polygons": [[ring(2000, 960, 540, 380)]]}]
    annotation_save(frame=rows[0], user=user, expected_version=0, shapes=big)
    prediction_store(
        frame=rows[0],
        model_version_id=_model_version(project).pk,
        shapes=[{"label": "facial_nerve", "polygons": [[ring(400, 990, 520, 360)]]}],
        confidence=0.91,
    )
    return [f.pk for f in rows]


# --- in the browser ---------------------------------------------------------------------------

# Press D `steps` times; each press -> ms until the next frame is on screen (frameLog, main.js).
STEP_JS = """async ([steps, think]) => {
  const log = window.__editor.frameLog;
  const out = [];
  for (let i = 0; i < steps; i++) {
    const n = log.length;
    const t0 = performance.now();
    window.dispatchEvent(new KeyboardEvent('keydown', {key: 'd', bubbles: true}));
    while (log.length === n) await new Promise((r) => setTimeout(r, 1));
    out.push(log[log.length - 1].at - t0);
    if (think) await new Promise((r) => setTimeout(r, think));
  }
  return out;
}"""

DRAG_JS = """async ([sx, sy]) => {
  const stage = document.getElementById('ed-stage');
  window.__editor.view.frameTimes.length = 0;
  const gaps = [];
  let last = performance.now();
  for (let i = 1; i <= 180; i++) {
    stage.dispatchEvent(new PointerEvent('pointermove', {
      clientX: sx + i * 0.7, clientY: sy + i * 0.4, pointerId: 1, bubbles: true, buttons: 1}));
    await new Promise(requestAnimationFrame);
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }
  return {gaps: gaps.slice(10), render: window.__editor.view.frameTimes.slice(10)};
}"""

TO_SCREEN_JS = """([x, y]) => {
  const r = document.getElementById('ed-stage').getBoundingClientRect();
  const v = window.__editor.view.viewport;
  return [r.left + x * v.scale + v.x, r.top + y * v.scale + v.y];
}"""


def login(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("bench")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def open_ms(page: Any, base: str, frame: int) -> float:
    page.goto(f"{base}/frames/{frame}/edit/")
    page.wait_for_selector("body[data-editor-ready='1']")
    return float(page.evaluate("window.__editor.openMs"))


def first_open(page: Any, base: str, frame: int, runs: int) -> tuple[float, float]:
    times = [open_ms(page, base, frame) for _ in range(runs + 1)]
    return times[0], statistics.median(times[1:])


def drag(page: Any, base: str, frame: int) -> dict[str, list[float]]:
    open_ms(page, base, frame)
    page.mouse.click(*page.evaluate(TO_SCREEN_JS, [960, 540]))  # select the polygon
    sx, sy = page.evaluate(TO_SCREEN_JS, ring(2000, 960, 540, 380)[0])
    page.mouse.move(sx, sy)
    page.mouse.down()
    out: dict[str, list[float]] = page.evaluate(DRAG_JS, [sx, sy])
    page.mouse.up()
    return out


def renderer_rss_mb() -> float:
    """Resident memory of the largest Chromium renderer of this process tree (the page's; the
    others are spare renderers Chromium keeps ready)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    mine, grew = {os.getpid()}, True
    while grew:
        more = {p for p, pp in parents.items() if pp in mine} - mine
        mine |= more
        grew = bool(more)
    largest = 0.0
    for pid in mine:
        try:
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        largest = max(largest, kb / 1024)
    return largest


def memory(cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {
        "heap_mb": metrics["JSHeapUsedSize"] / 2**20,
        "nodes": metrics["Nodes"],
        "rss_mb": renderer_rss_mb(),
    }


def visits(page: Any, base: str, first: int, counts: tuple[int, int]) -> list[dict[str, float]]:
    open_ms(page, base, first)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    out, done = [], 0
    for count in counts:
        page.evaluate(STEP_JS, [count - done, 20])
        done = count
        page.wait_for_timeout(500)
        out.append(memory(cdp))
    return out


def measure(base: str, ids: list[int], steps: int, total: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.set_default_timeout(60000)
        login(page, base)
        for frame in ids[2:6]:  # both gunicorn workers past their first request
            open_ms(page, base, frame)
        page.context.new_cdp_session(page).send("Network.clearBrowserCache")
        big_first, big_median = first_open(page, base, ids[0], 5)
        plain_first, plain_median = first_open(page, base, ids[1], 5)
        open_ms(page, base, ids[100])
        paced = page.evaluate(STEP_JS, [steps, 300])
        held = page.evaluate(STEP_JS, [steps, 0])
        dragged = drag(page, base, ids[0])
        mem = visits(page, base, ids[200], (10, total))
        browser.close()
    return {
        "open": (big_first, big_median, plain_first, plain_median),
        "paced": paced,
        "held": held,
        "drag": dragged,
        "memory": mem,
    }


def table(r: dict[str, Any], frames: int, steps: int, total: int) -> str:
    big_first, big_median, plain_first, plain_median = r["open"]
    gaps, render = r["drag"]["gaps"], r["drag"]["render"]
    m10, m500 = r["memory"]
    fps = 1000 / pct(gaps, 0.5)
    rows = [
        ("measure", "value", "goal (issue 13)"),
        ("---", "---", "---"),
        (
            "first open, 1920x1080 frame with a 2,000-vertex annotation + prediction: median of "
            "5 (the first, browser cache empty)",
            f"{big_median:.0f} ms ({big_first:.0f} ms)",
            "< 300 ms",
        ),
        (
            "first open, a frame without annotation: median of 5 (the first)",
            f"{plain_median:.0f} ms ({plain_first:.0f} ms)",
            "< 300 ms",
        ),
        (
            f"next frame (`D`) on a {frames:,}-frame video, 300 ms between presses: "
            f"p50 / p95 of {steps}",
            f"{pct(r['paced'], 0.5):.0f} / {pct(r['paced'], 0.95):.0f} ms",
            "p50 < 100 ms",
        ),
        (
            f"next frame, key held (no pause): p50 / p95 of {steps}",
            f"{pct(r['held'], 0.5):.0f} / {pct(r['held'], 0.95):.0f} ms",
            "",
        ),
        (
            "dragging a vertex of the 2,000-vertex polygon: frame interval p50 / p95 (fps)",
            f"{pct(gaps, 0.5):.1f} / {pct(gaps, 0.95):.1f} ms ({fps:.0f} fps)",
            "60 fps",
        ),
        (
            "… overlay render per frame p50 / p95",
            f"{pct(render, 0.5):.2f} / {pct(render, 0.95):.2f} ms",
            "",
        ),
        (
            f"page memory after 10 frames → after {total}: JS heap (after GC)",
            f"{m10['heap_mb']:.1f} → {m500['heap_mb']:.1f} MB "
            f"({m500['heap_mb'] / m10['heap_mb']:.2f}x)",
            "within 2x",
        ),
        (
            "… DOM nodes",
            f"{m10['nodes']:.0f} → {m500['nodes']:.0f} ({m500['nodes'] / m10['nodes']:.2f}x)",
            "",
        ),
        (
            "… renderer process resident memory",
            f"{m10['rss_mb']:.0f} → {m500['rss_mb']:.0f} MB "
            f"({m500['rss_mb'] / max(m10['rss_mb'], 1):.2f}x)",
            "within 2x",
        ),
    ]
    return "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--visits", type=int, default=500)
    a = parser.parse_args()
    if a.frames < a.visits + 201:
        parser.error("--frames must exceed --visits + 200 (the visits start at frame 200)")
    with tempfile.TemporaryDirectory(prefix="nm-bench-editor-") as tmp:
        var_dir = Path(tmp)
        t0 = time.monotonic()
        ids = setup_database(var_dir, a.frames)
        print(f"set up {a.frames} frames in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        port = free_port()
        server = start_server(var_dir, port, "gunicorn")  # as `manage.py serve` runs it
        try:
            result = measure(f"http://127.0.0.1:{port}", ids, a.steps, a.visits)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(table(result, a.frames, a.steps, a.visits))


if __name__ == "__main__":
    main()
