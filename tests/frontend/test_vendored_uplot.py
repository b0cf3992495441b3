"""uPlot is vendored under frontend/static/frontend/vendor/uplot/ (the CSP allows scripts from
this origin only, and there is no bundler): the copy must be byte for byte the npm package that
package-lock.json pins, so an upgrade is `npm install --save-exact uplot@X` plus a fresh copy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "frontend" / "static" / "frontend" / "vendor" / "uplot"
PACKAGE = ROOT / "node_modules" / "uplot"
# vendored name -> path inside the npm package
FILES = {
    "uPlot.esm.js": "dist/uPlot.esm.js",
    "uPlot.min.css": "dist/uPlot.min.css",
    "LICENSE": "LICENSE",
}


def _locked_version() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/uplot"]["version"])


def test_uplot_is_pinned_exactly_and_locked() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"]["uplot"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), f"pin an exact version, not {wanted!r}"
    assert _locked_version() == wanted
    header = (VENDOR / "uPlot.esm.js").read_text()[:400]
    assert f"(v{wanted})" in header, "the vendored uPlot is not the pinned version"
    assert "MIT" in (VENDOR / "LICENSE").read_text()


def test_vendored_uplot_is_the_locked_npm_package() -> None:
    if not (PACKAGE / "package.json").is_file():
        message = "node_modules/uplot is missing (npm ci)"
        if IN_CI:
            pytest.fail(f"CI: {message}")
        pytest.skip(message)
    installed = json.loads((PACKAGE / "package.json").read_text())["version"]
    assert installed == _locked_version(), "node_modules is not the locked version: run npm ci"
    for vendored, original in FILES.items():
        assert (VENDOR / vendored).read_bytes() == (PACKAGE / original).read_bytes(), (
            f"{vendored} differs from uplot@{installed}/{original}: copy it again"
        )
    assert sorted(p.name for p in VENDOR.iterdir()) == sorted(FILES)
