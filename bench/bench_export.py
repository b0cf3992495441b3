"""Export speed and memory: N synthetic frames with masks, frozen, exported as layout v1.

    .venv/bin/python bench/bench_export.py 2000     (temp SQLite and media unless DATABASE_URL)

Prints one table row: frames, seconds, frames/s, zip size, peak Python heap (tracemalloc) of the
export alone, and max RSS of the process. Run with two sizes: the heap must not grow with N.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# Never write into the dev media folder: frames of the benchmark go to a fresh temp folder.
os.environ["DJANGO_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="nm-bench-export-media-")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{tempfile.mkdtemp(prefix='nm-bench-db-')}/bench.sqlite3"
    )
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from annotator.models import Annotation, AnnotationRevision  # noqa: E402
from datasets.models import Frame, Patient, Project, Video  # noqa: E402
from datasets.versions.services.export_writer import export_write  # noqa: E402
from datasets.versions.services.freeze import version_freeze  # noqa: E402


def build(n: int, media: Path) -> Project:
    call_command("migrate", verbosity=0)
    project = Project.objects.create(slug=f"bench-{int(time.time())}", name="bench")
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
    per_patient = max(1, n // 20)
    splits = ["train"] * 14 + ["val"] * 3 + ["test"] * 3
    made = 0
    for p in range(20):
        patient = Patient.objects.create(project=project, code=f"P-B{p:04d}", split=splits[p])
        video = Video.objects.create(
            project=project, patient=patient, sha256=f"{p:064x}", status="ready"
        )
        rows = []
        for i in range(per_patient if p < 19 else n - made):
            name = f"frames/{video.pk}/{i:07d}.jpg"
            path = media / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(jpeg)
            phash = f"{int(rng.integers(0, 2**63)):016x}"
            rows.append(
                Frame(
                    video=video,
                    index=i,
                    timestamp_ms=i * 40.0,
                    image=name,
                    width=640,
                    height=360,
                    sharpness=1.0,
                    phash=phash,
                )
            )
        frames = Frame.objects.bulk_create(rows)
        made += len(frames)
        now = timezone.now()
        anns = Annotation.objects.bulk_create(
            [
                Annotation(
                    frame=f,
                    project=project,
                    status="approved",
                    updated_at=now,
                    shapes=[
                        {
                            "label": "facial_nerve",
                            "polygons": [
                                [[[100 + i % 50, 100], [400, 120], [380, 250], [120, 230]]]
                            ],
                        }
                    ],
                )
                for i, f in enumerate(frames)
            ]
        )
        AnnotationRevision.objects.bulk_create(
            [
                AnnotationRevision(
                    annotation=a, version=1, shapes=a.shapes, status="approved", source="manual"
                )
                for a in anns
            ]
        )
    return project


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    media = Path(settings.MEDIA_ROOT)
    project = build(n, media)
    version = version_freeze(project=project, by=None, override_reason="benchmark")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export.zip"
        tracemalloc.start()
        t0 = time.perf_counter()
        frames = export_write(
            version=version, fmt="layout_v1", out_path=out, progress=lambda f, m: True
        )
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        size = out.stat().st_size
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| frames | seconds | frames/s | zip MB | export heap peak MB | process max RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {frames} | {seconds:.1f} | {frames / seconds:.0f} | {size / 1e6:.1f} "
        f"| {peak / 1e6:.1f} | {rss:.0f} |"
    )


if __name__ == "__main__":
    main()
