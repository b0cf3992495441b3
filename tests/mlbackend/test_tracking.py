"""With MLFLOW_TRACKING_URI set, a training job logs params, epochs and weights to MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from datasets.versions.models import DatasetVersion
from mlbackend.models import TrainingJob
from tests.factories import RolesWorld, run_training

mlflow = pytest.importorskip("mlflow")

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("_scratch")]


def test_a_training_job_is_logged_to_a_local_mlflow_store(
    roles_world: RolesWorld, version: DatasetVersion, tmp_path: Path, monkeypatch: Any
) -> None:
    uri = f"file://{tmp_path / 'mlruns'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 wants a database store
    training: TrainingJob = run_training(roles_world, version)
    assert training.job.status == "succeeded"
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("nervemark/alpha")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == f"training-{training.pk}"
    assert run.info.status == "FINISHED"
    assert run.data.params["arch"] == "improved_unet_lite"
    assert run.data.params["dataset_checksum"] == version.checksum
    history = client.get_metric_history(run.info.run_id, "val_nerve_iou")
    assert [m.step for m in history] == [1, 2]
    assert history[-1].value == pytest.approx(training.history[-1]["val_nerve_iou"])
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id, "model")]
    assert artifacts == ["model/model.safetensors"]


def test_without_a_tracking_uri_nothing_is_logged(
    roles_world: RolesWorld, version: DatasetVersion, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert run_training(roles_world, version, epochs=1).job.status == "succeeded"
    assert not (tmp_path / "mlruns").exists()
