"""The ML pages' pure helpers (frontend/static/frontend/ml/format.js, http.js's error sentences)
under node's built-in test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]


def test_ml_js_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("CI: node is needed for the ML pages' JS unit tests")
        pytest.skip("node not installed")
    result = subprocess.run(
        [node, "--test", "frontend/static/frontend/ml/tests/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
