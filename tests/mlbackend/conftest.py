"""mlbackend fixtures: one torch thread, and a tiny layout-v1 dataset written once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.factories import write_tiny_dataset


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tiny models gain nothing from threads, and on a loaded 2-core CI machine two OpenMP
    threads per process spin against each other (measured: 3-10x slower steps)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 patients (2 train, 1 val, 1 test) x 4 frames of 64x64."""
    root = tmp_path_factory.mktemp("tiny_dataset")
    return write_tiny_dataset(root, {"pa": "train", "pb": "train", "pc": "val", "pd": "test"})


@pytest.fixture
def version(roles_world: Any) -> Any:
    """A frozen version of alpha: one train, one val and two test patients, 3 frames each."""
    from datasets.versions.services.freeze import version_freeze
    from tests.factories import add_patient, make_split_patients

    make_split_patients(roles_world.project)
    add_patient(roles_world.project, "test", 3)
    return version_freeze(project=roles_world.project, by=roles_world.users["data_manager"])


@pytest.fixture
def _scratch(settings: Any, tmp_path: Any) -> None:
    """Training scratch folders in the test's tmp dir, one torch thread."""
    settings.NERVEMARK_WORK_DIR = tmp_path / "work"
    settings.NERVEMARK_TORCH_THREADS = 1
