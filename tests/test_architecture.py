"""The import contracts in pyproject.toml cover the whole tree (`make lint` runs lint-imports)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c.get("id") == contract_id)


def test_every_lower_datasets_module_is_kept_from_importing_versions() -> None:
    children = {
        f"datasets.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "datasets").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    } - {"datasets.versions", "datasets.migrations"}
    listed = set(_contract("versions-above-annotator")["source_modules"])
    assert children - listed == set(), "add the new module to the contract in pyproject.toml"
    assert listed - children - {"annotator"} == set(), "a listed module no longer exists"


def test_pure_cores_are_forbidden_django_drf_and_celery() -> None:
    contract = _contract("pure-cores")
    assert set(contract["forbidden_modules"]) == {"django", "rest_framework", "celery"}
    for module in contract["source_modules"]:
        path = ROOT / module.replace(".", "/")
        assert path.is_dir() or path.with_suffix(".py").is_file(), module


def test_geometry_is_kept_a_leaf_of_every_other_project_module() -> None:
    """`datasets.layout` imports `annotator.geometry` from below; only a leaf may be imported so."""
    contract = _contract("geometry-leaf")
    assert contract["source_modules"] == ["annotator.geometry"]
    siblings = {
        f"annotator.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "annotator").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    } - {"annotator.geometry"}
    roots = {"config", "datasets", "mlbackend", "frontend"}
    assert set(contract["forbidden_modules"]) == roots | siblings, (
        "list the new annotator module in the geometry-leaf contract in pyproject.toml"
    )
    layers = _contract("layers")
    across = [i for i in layers["ignore_imports"] if "annotator.geometry" in i]
    assert across == ["datasets.layout.** -> annotator.geometry"]
