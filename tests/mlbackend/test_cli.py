from __future__ import annotations

import json
import subprocess
import sys

import cv2

from mlbackend.cli import main


def test_train_then_evaluate_cli_writes_a_json_report(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "run"
    args = [
        "train",
        "--data",
        str(tiny_dataset),
        "--out",
        str(out),
        "--arch",
        "unet",
        "--base-width",
        "4",
        "--epochs",
        "1",
        "--image-size",
        "32",
        "--batch-size",
        "4",
    ]
    assert main(args) == 0
    report_path = tmp_path / "eval.json"
    assert (
        main(
            [
                "evaluate",
                "--data",
                str(tiny_dataset),
                "--weights",
                str(out / "model.safetensors"),
                "--split",
                "test",
                "--out",
                str(report_path),
            ]
        )
        == 0
    )
    report = json.loads(report_path.read_text())
    for key in ("miou_bg", "nerve_iou", "nerve_dice", "precision", "recall", "frames_per_second"):
        assert key in report
    assert report["split"] == "test"
    assert report["num_patients"] == 1
    assert set(report["per_patient"]) == {"pd"}
    assert set(report["per_patient_summary"]["nerve_iou"]) == {"mean", "ci_low", "ci_high", "n"}
    printed = capsys.readouterr().out
    assert "nerve_iou" in printed
    assert "95% CI" in printed


def test_predict_cli_prints_polygons_and_scores(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "run"
    main(
        [
            "train",
            "--data",
            str(tiny_dataset),
            "--out",
            str(out),
            "--arch",
            "improved_unet_lite",
            "--base-width",
            "4",
            "--epochs",
            "1",
            "--image-size",
            "32",
            "--no-odconv",
        ]
    )
    capsys.readouterr()
    image = next((tiny_dataset / "images" / "test").rglob("*.jpg"))
    assert main(["predict", "--weights", str(out / "model.safetensors"), str(image)]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert {"polygons", "confidence", "uncertainty", "nerve_fraction"} <= set(result)
    assert cv2.imread(result["image"]) is not None


def test_pure_core_imports_no_django_and_module_entry_point_runs():
    code = (
        "import sys, mlbackend.nn, mlbackend.data, mlbackend.training, mlbackend.inference, "
        "mlbackend.evaluation, mlbackend.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'torchvision')]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    help_run = subprocess.run(
        [sys.executable, "-m", "mlbackend", "--help"], capture_output=True, text=True, check=False
    )
    assert help_run.returncode == 0
    assert "evaluate" in help_run.stdout
