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


def test_train_cli_threads_amp_channels_last_and_config_file(tiny_dataset, tmp_path, monkeypatch):
    import torch

    threads = []
    monkeypatch.setattr(torch, "set_num_threads", threads.append)
    out = tmp_path / "run"
    common = ["train", "--data", str(tiny_dataset), "--epochs", "1", "--image-size", "32"]
    flags = ["--arch", "unet", "--base-width", "4", "--threads", "3", "--no-amp"]
    args = [*common, "--out", str(out), *flags, "--no-channels-last", "--progress-file"]
    assert main([*args, str(tmp_path / "events.jsonl"), "--quiet"]) == 0
    assert threads == [3]
    saved = json.loads((out / "train_config.json").read_text())
    assert (saved["amp"], saved["channels_last"], saved["sync_batchnorm"]) == (False, False, False)
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["phase"] for line in lines][-2:] == ["epoch_end", "done"]
    # --config replaces the model/training flags; the on/off switches still apply on top
    again = [*common, "--out", str(tmp_path / "again"), "--config", str(out / "train_config.json")]
    assert main([*again, "--sync-batchnorm", "--quiet"]) == 0
    rerun = json.loads((tmp_path / "again" / "train_config.json").read_text())
    assert rerun == {**saved, "sync_batchnorm": True}


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
