"""Written outputs: videos + masks + JSON, the export-layout dataset, COCO, the CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from datasets.synth import (
    DatasetConfig,
    VideoConfig,
    generate_patient_videos,
    patient_styles,
    video_renderer,
    write_dataset,
)

# pycocotools 2.0 calls np.array(copy=False) inside decode; not our code
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

REPO = Path(__file__).resolve().parents[2]
VCFG = VideoConfig(patients=2, seconds=0.8, seed=11, width=192, height=108, fps=25.0)
DCFG = DatasetConfig(
    patients=5, frames_per_patient=6, seed=3, width=192, height=108, frames_per_video=3
)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    out = tmp_path_factory.mktemp("videos")
    return out, generate_patient_videos(out, VCFG, show_progress=False)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("dataset")
    return out, write_dataset(out, DCFG, show_progress=False)


def test_videos_decode_to_stated_frame_count_fps_and_size(videos):
    out, infos = videos
    assert len(infos) == 2
    for info in infos:
        meta = json.loads(info.meta_path.read_text())
        with av.open(str(info.path)) as container:
            stream = container.streams.video[0]
            frames = list(container.decode(stream))
            assert stream.codec_context.name == "h264"
            assert float(stream.average_rate) == pytest.approx(meta["fps"]) == 25.0
        assert len(frames) == meta["frame_count"] == 20 == info.frame_count
        assert (frames[0].width, frames[0].height) == (meta["width"], meta["height"]) == (192, 108)
        assert frames[0].format.name == "yuv420p"
        assert len(list(info.masks_dir.glob("*.png"))) == 20
        assert json.loads((out / "patients.json").read_text())["patients"][info.patient]


def test_video_frames_match_their_masks(videos):
    """Decoded frame i is rendered frame i, so mask i belongs to it."""
    _, infos = videos
    style = patient_styles(VCFG.seed, 1)[0]
    r = video_renderer(VCFG.seed, 0, 0, style, (192, 108), 25.0, VCFG.seconds)
    with av.open(str(infos[0].path)) as container:
        decoded = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    for i in (0, 7, 19):
        rendered = r.render(i)
        assert np.abs(decoded[i].astype(int) - rendered.image.astype(int)).mean() < 6
        mask = cv2.imread(str(infos[0].masks_dir / f"{i:06d}.png"), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(mask, rendered.mask)


def test_dataset_manifest_paths_splits_and_checksums(dataset):
    out, manifest = dataset
    assert manifest["format"] == "nervemark-dataset"
    assert manifest["version"] == 1
    patients = manifest["patients"]
    assert set(patients.values()) == {"train", "val", "test"}
    assert len(manifest["frames"]) == 5 * 6
    seen: dict[str, set[str]] = {}
    for row in manifest["frames"]:
        assert row["split"] == patients[row["patient"]]
        seen.setdefault(row["patient"], set()).add(row["split"])
        assert row["image"].startswith(f"images/{row['split']}/{row['patient']}/")
        assert row["mask"].startswith(f"masks/{row['split']}/{row['patient']}/")
        assert (out / row["image"]).is_file()
        assert (out / row["mask"]).is_file()
        assert hashlib.sha256((out / row["image"]).read_bytes()).hexdigest() == row["sha256"]
    assert all(len(splits) == 1 for splits in seen.values())
    assert json.loads((out / "manifest.json").read_text()) == json.loads(json.dumps(manifest))


def test_dataset_masks_are_single_channel_class_indices(dataset):
    out, manifest = dataset
    nerve_frames = 0
    for row in manifest["frames"]:
        mask = cv2.imread(str(out / row["mask"]), cv2.IMREAD_UNCHANGED)
        assert mask.dtype == np.uint8
        assert mask.ndim == 2
        assert mask.shape == (108, 192)
        assert set(np.unique(mask).tolist()) <= {0, 1, 255}
        assert int((mask == 1).sum()) == row["nerve_pixels"]
        nerve_frames += row["nerve_pixels"] > 0
    assert nerve_frames > 0


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_coco_annotations_rasterise_back_to_the_png_masks(dataset, split):
    out, _ = dataset
    coco = COCO(str(out / "annotations" / f"coco_{split}.json"))
    assert coco.getImgIds()
    for image_id in coco.getImgIds():
        info = coco.loadImgs(image_id)[0]
        png = (
            cv2.imread(
                str(
                    out / info["file_name"].replace("images/", "masks/", 1).replace(".jpg", ".png")
                ),
                cv2.IMREAD_UNCHANGED,
            )
            == 1
        )
        drawn = np.zeros(png.shape, bool)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=image_id)):
            drawn |= coco.annToMask(ann) > 0
        if png.sum() == 0:
            assert not drawn.any()
        else:
            assert (png & drawn).sum() / (png | drawn).sum() > 0.98


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datasets.synth", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_writes_videos_dataset_and_contact_sheet(tmp_path):
    done = _run_cli(
        "videos",
        "--out",
        str(tmp_path / "v"),
        "--patients",
        "1",
        "--seconds",
        "0.4",
        "--width",
        "160",
        "--height",
        "96",
        "--seed",
        "1",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "v").glob("P-*/video_01.mp4"))) == 1
    done = _run_cli(
        "dataset",
        "--out",
        str(tmp_path / "d"),
        "--patients",
        "3",
        "--frames-per-patient",
        "2",
        "--size",
        "160x96",
        "--split",
        "0.4,0.3,0.3",
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert sorted(manifest["patients"].values()) == ["test", "train", "val"]
    done = _run_cli(
        "contact-sheet",
        "--out",
        str(tmp_path / "s.png"),
        "--patients",
        "2",
        "--frames",
        "2",
        "--size",
        "160x96",
        "--thumb-width",
        "120",
    )
    assert done.returncode == 0, done.stderr
    assert cv2.imread(str(tmp_path / "s.png")).shape == (2 * 72, 2 * 120, 3)


def test_cli_rejects_bad_values_with_a_clear_message(tmp_path):
    done = _run_cli("dataset", "--out", str(tmp_path), "--split", "0.5,0.6,0.1")
    assert done.returncode == 2
    assert "summing to 1" in done.stderr
    done = _run_cli("videos", "--out", str(tmp_path), "--width", "161")
    assert done.returncode == 2
    assert "161x720" in done.stderr


def test_synth_never_imports_django():
    code = "import sys, datasets.synth.cli; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0
