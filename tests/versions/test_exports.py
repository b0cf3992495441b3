"""Exports checked by real consumers: mlbackend's manifest reader, pycocotools, Datumaro, and
PNG masks compared pixel for pixel with `annotator.geometry.rasterize`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from annotator.geometry import rasterize
from datasets.models import AuditEvent, JobStatus
from datasets.versions.models import DatasetExport, DatasetVersion
from datasets.versions.services.exports import export_request, export_run
from datasets.versions.services.freeze import version_freeze
from tests.factories import RolesWorld, SplitPatients, add_patient, approve, square

# A ring with a hole, a second component, and a thin diagonal sliver.
HOLE = [
    {
        "label": "facial_nerve",
        "polygons": [
            [[[4, 4], [30, 4], [30, 30], [4, 30]], [[10, 10], [20, 10], [20, 20], [10, 20]]],
            [[[40.5, 5.2], [60.3, 9.7], [44.1, 40.8]]],
        ],
    }
]


@pytest.fixture
def version(roles_world: RolesWorld, splits: SplitPatients) -> DatasetVersion:
    approve(splits.frames["train"][1], HOLE)
    approve(splits.frames["val"][2], [])  # nerve not visible: an empty mask
    return version_freeze(project=roles_world.project, by=roles_world.users["data_manager"])


def run_export(version: DatasetVersion, fmt: str, tmp_path: Path) -> Path:
    export = export_request(version=version, fmt=fmt, by=version.created_by)
    export_run(export_id=str(export.id), job_id=str(export.job_id))
    export.refresh_from_db()
    assert export.job.status == JobStatus.SUCCEEDED, export.job.error
    out = tmp_path / fmt
    with zipfile.ZipFile(Path(export.file and _storage_path(export.file))) as zf:
        for name in zf.namelist():
            assert not name.startswith("/")
            assert ".." not in name.split("/")
        zf.extractall(out)
    return out


def _storage_path(name: str) -> str:
    from django.core.files.storage import default_storage

    return default_storage.path(name)


def expected_masks(version: DatasetVersion) -> dict[str, np.ndarray]:
    """{'<split>/<patient>/v<video>_<index>': our rasterisation of the frozen revision}."""
    values = {c["name"]: c["id"] for c in version.classes}
    out = {}
    for item in version.items.select_related("frame", "revision"):
        key = f"{item.split}/{item.patient_code}/v{item.video_id}_{item.frame_index:06d}"
        f = item.frame
        out[key] = rasterize(item.revision.shapes, f.width, f.height, label_values=values)
    return out


def test_layout_v1_matches_synth_structure_and_mlbackend_reads_it(
    version: DatasetVersion, tmp_path: Path
) -> None:
    from datasets.layout import read_manifest, read_mask
    from datasets.synth.dataset import DatasetConfig, write_dataset

    root = run_export(version, "layout_v1", tmp_path)
    ours = json.loads((root / "manifest.json").read_text())
    synth = write_dataset(
        tmp_path / "synth",
        DatasetConfig(
            patients=3,
            frames_per_patient=1,
            width=64,
            height=64,
            frames_per_video=1,
            seconds_per_video=1.0,
        ),
        show_progress=False,
    )
    assert set(ours) == set(synth)
    assert set(ours["frames"][0]) == set(synth["frames"][0])
    assert set(ours["stats"]["splits"]["train"]) == set(synth["stats"]["splits"]["train"])
    assert sorted(p.name for p in root.iterdir()) == sorted(
        p.name for p in (tmp_path / "synth").iterdir()
    )
    manifest = read_manifest(root)
    assert manifest.classes == ("background", "facial_nerve")
    assert len(manifest.frames) == version.frame_count == 9
    assert {f.split for f in manifest.frames} <= {"train", "val", "test"}
    expected = expected_masks(version)
    for frame in manifest.frames:
        key = str(frame.mask.relative_to(root / "masks")).removesuffix(".png")
        assert np.array_equal(read_mask(frame.mask), expected[key]), key
    for split in ("train", "val", "test"):
        doc = COCO(str(root / "annotations" / f"coco_{split}.json"))
        assert len(doc.getImgIds()) == 3


def test_coco_ann_to_mask_equals_our_rasterisation(version: DatasetVersion, tmp_path: Path) -> None:
    root = run_export(version, "coco", tmp_path)
    expected = expected_masks(version)
    checked = rle = 0
    for split in ("train", "val", "test"):
        coco = COCO(str(root / "annotations" / f"instances_{split}.json"))
        for img in coco.loadImgs(coco.getImgIds()):
            mask = np.zeros((img["height"], img["width"]), np.uint8)
            for ann in coco.loadAnns(coco.getAnnIds(imgIds=img["id"])):
                mask[coco.annToMask(ann) > 0] = ann["category_id"]
                rle += isinstance(ann["segmentation"], dict)
            key = f"{split}/{img['file_name'].removesuffix('.jpg')}"
            assert np.array_equal(mask, expected[key]), key
            assert (root / "images" / split / img["file_name"]).is_file()
            checked += 1
    assert checked == 9
    assert rle == 1  # the component with a hole, and only it


def test_png_masks_equal_our_rasterisation_pixel_for_pixel(
    version: DatasetVersion, tmp_path: Path
) -> None:
    root = run_export(version, "masks", tmp_path)
    expected = expected_masks(version)
    pngs = sorted((root / "masks").rglob("*.png"))
    assert len(pngs) == 9
    for png in pngs:
        key = str(png.relative_to(root / "masks")).removesuffix(".png")
        mask = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
        assert mask.dtype == np.uint8
        assert mask.ndim == 2
        assert np.array_equal(mask, expected[key]), key
    assert json.loads((root / "classes.json").read_text())["classes"][1]["name"] == "facial_nerve"


DATUMARO = Path(__file__).resolve().parents[2] / ".venv-datumaro" / "bin" / "python"


def _datumaro_read(fmt: str, export: Path, out: Path) -> dict[str, np.ndarray]:
    """Masks as Datumaro reads them (in its own interpreter), keyed "subset/frame name"."""
    probe = Path(__file__).with_name("datumaro_probe.py")
    done = subprocess.run(
        [str(DATUMARO), str(probe), fmt, str(export), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["subsets"] == ["test", "train", "val"]
    return {
        f"{item['subset']}/{Path(item['id']).name}": cv2.imread(
            str(out / item["png"]), cv2.IMREAD_UNCHANGED
        )
        for item in report["items"]
    }


def test_datumaro_imports_the_coco_and_cvat_exports(
    version: DatasetVersion, tmp_path: Path
) -> None:
    if not DATUMARO.exists():
        if os.environ.get("CI"):
            pytest.fail("CI: .venv-datumaro is missing (make datumaro-env)")
        pytest.skip("Datumaro lives in .venv-datumaro: make datumaro-env")
    expected = expected_masks(version)
    coco = _datumaro_read("coco_instances", run_export(version, "coco", tmp_path), tmp_path / "c")
    assert len(coco) == 9
    cvat = _datumaro_read("cvat", run_export(version, "cvat", tmp_path), tmp_path / "v")
    assert len(cvat) == 9
    for read in (coco, cvat):
        for key, mask in expected.items():
            split, name = key.split("/", 1)
            stem = f"{split}/{Path(name).stem}"
            matches = [v for k, v in read.items() if k.rsplit(".", 1)[0] == stem]
            assert len(matches) == 1, (key, sorted(read))
            assert np.array_equal(matches[0], mask), key


def test_download_streams_the_zip_to_exporters_only_and_is_audited(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    r = roles_world.client("ml_staff").post(
        f"/api/v1/versions/{version.pk}/exports/", {"format": "masks"}, format="json"
    )
    assert r.status_code == 202
    export = DatasetExport.objects.get(pk=r.json()["id"])
    url = f"/api/v1/exports/{export.pk}/download/"
    assert roles_world.client("ml_staff").get(url).status_code == 409  # not written yet
    export_run(export_id=str(export.pk), job_id=str(export.job_id))
    status = roles_world.client("ml_staff").get(f"/api/v1/exports/{export.pk}/").json()
    assert status["status"] == "succeeded"
    assert status["download_url"] == url
    assert roles_world.client("annotator").get(url).status_code == 403
    assert roles_world.client("outsider").get(url).status_code == 404
    response = roles_world.client("ml_staff").get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    assert AuditEvent.objects.filter(action="version.export_download", username="ml").count() == 1


def test_manifest_counts_of_patients_agree_everywhere(
    roles_world: RolesWorld, splits: SplitPatients, tmp_path: Path
) -> None:
    """One train patient has approved frames, a second is assigned to train with none: the
    manifest's `patients`, its split stats and the version's stats all count one."""
    add_patient(roles_world.project, "train", 2, approved=0)
    version = version_freeze(project=roles_world.project, by=roles_world.users["data_manager"])
    # A version frozen before this rule also listed the patient without frames.
    DatasetVersion.objects.filter(pk=version.pk).update(
        patients={**version.patients, "OLDCODE": "train"}
    )
    version.refresh_from_db()
    root = run_export(version, "layout_v1", tmp_path)
    manifest = json.loads((root / "manifest.json").read_text())
    in_frames = {f["patient"]: f["split"] for f in manifest["frames"]}
    assert manifest["patients"] == in_frames
    for split in ("train", "val", "test"):
        listed = sum(1 for s in manifest["patients"].values() if s == split)
        assert listed == 1
        assert manifest["stats"]["splits"][split]["patients"] == listed
        assert manifest["stats"]["version"]["splits"][split]["patients"] == listed


def test_renamed_classes_keep_every_exported_pixel_of_old_and_new_versions(
    roles_world: RolesWorld, splits: SplitPatients, tmp_path: Path
) -> None:
    """Two classes swap names after version 1 was frozen: version 1 still exports the same
    masks (and its own names); version 2 has the same pixels under the new names."""
    from annotator.models import LabelClass
    from annotator.services.labels import label_class_create, label_class_update

    dm = roles_world.users["data_manager"]
    artery = label_class_create(project=roles_world.project, name="artery", color="#aa0000", by=dm)
    frame = splits.frames["train"][0]
    approve(frame, square(2, 2, 10, "artery") + square(20, 20, 12, "facial_nerve"))
    v1 = version_freeze(project=roles_world.project, by=dm)
    before = expected_masks(v1)
    assert set(np.unique(next(iter(before.values())))) <= {0, 1, 2}
    nerve = LabelClass.objects.get(project=roles_world.project, name="facial_nerve")
    label_class_update(label=nerve, name="swap", by=dm)
    label_class_update(label=artery, name="facial_nerve", by=dm)
    label_class_update(label=nerve, name="artery", by=dm)
    root = run_export(v1, "masks", tmp_path / "v1")
    for key, mask in before.items():
        assert np.array_equal(cv2.imread(str(root / "masks" / f"{key}.png"), -1), mask), key
    names = [c["name"] for c in json.loads((root / "classes.json").read_text())["classes"]]
    assert names == ["background", "facial_nerve", "artery"]  # as frozen
    v2 = version_freeze(project=roles_world.project, by=dm)
    assert v2.checksum != v1.checksum  # the names are part of the content
    root = run_export(v2, "masks", tmp_path / "v2")
    for key, mask in before.items():
        assert np.array_equal(cv2.imread(str(root / "masks" / f"{key}.png"), -1), mask), key
    names = [c["name"] for c in json.loads((root / "classes.json").read_text())["classes"]]
    assert names == ["background", "artery", "facial_nerve"]  # value 1 is now called artery


def test_a_failed_export_says_why_in_a_sentence_without_traceback_or_path(
    version: DatasetVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasets.versions.services import exports

    def broken(**kwargs: object) -> int:
        raise RuntimeError("cannot read /srv/nervemark/var/media/frames/1/0000001.jpg")

    monkeypatch.setattr(exports, "export_write", broken)
    export = export_request(version=version, fmt="coco", by=version.created_by)
    with pytest.raises(RuntimeError):
        export_run(export_id=str(export.id), job_id=str(export.job_id))
    export.job.refresh_from_db()
    assert export.job.status == JobStatus.FAILED
    assert export.job.error.startswith("The export stopped on an unexpected error (RuntimeError)")
    assert "Traceback" not in export.job.error
    assert "/srv/" not in export.job.error
