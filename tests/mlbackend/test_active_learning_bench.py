"""bench/active_learning.py --quick: both arms, every budget, sane IoUs, different picks."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "active_learning.py"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict, Path]:
    out = tmp_path_factory.mktemp("active_learning")
    plot = out / "plot.png"
    args = ["--quick", "--threads", "1", "--out", str(out), "--plot", str(plot)]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, json.loads((out / "results.json").read_text()), plot


def test_quick_run_reports_both_arms_at_every_budget(quick_run):
    stdout, doc, plot = quick_run
    budgets = doc["settings"]["budgets"]
    assert budgets == [4, 8]
    for arm in ("random", "uncertainty"):
        rows = doc["results"]["0"][arm]
        assert [r["labelled"] for r in rows if r["labelled"] in budgets] == budgets
        for r in rows:
            for key in ("pooled", "patient_mean"):
                assert math.isfinite(r[key])
                assert 0.0 <= r[key] <= 1.0
            assert len(r["frames"]) == len(set(r["frames"])) == r["labelled"]
    table_rows = [line for line in stdout.splitlines() if line.startswith(("| 4 |", "| 8 |"))]
    assert len(table_rows) == 2 * 2 + 2  # pooled and per-patient per K, one counts row per K
    assert "uncertainty - random" in stdout
    image = cv2.imread(str(plot))
    assert image is not None
    assert image.shape[0] > 100


def test_quick_run_shares_the_seed_set_then_the_arms_pick_differently(quick_run):
    _, doc, _ = quick_run
    rows = doc["results"]["0"]
    first = {arm: rows[arm][0] for arm in rows}
    last = {arm: rows[arm][-1] for arm in rows}
    assert first["random"]["frames"] == first["uncertainty"]["frames"]
    assert first["random"]["pooled"] == first["uncertainty"]["pooled"]  # one model for both
    seed_set = set(first["random"]["frames"])
    added = {arm: set(last[arm]["frames"]) - seed_set for arm in last}
    assert len(added["random"]) == len(added["uncertainty"]) == 4
    assert added["random"] != added["uncertainty"]
