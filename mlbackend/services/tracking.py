"""Experiment tracking for teams that use MLflow: when MLFLOW_TRACKING_URI is set, each training
job logs its params, per-epoch metrics and its weights to an MLflow run. Without it (or without
the optional `mlflow-skinny` package) nothing happens, and a tracking server that fails never
fails the training: the job's own rows stay the source of truth."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Tracker(Protocol):
    def epoch(self, row: dict[str, Any]) -> None: ...

    def finish(self, *, weights: Path | None, status: str) -> None: ...


class NoTracking:
    def epoch(self, row: dict[str, Any]) -> None:
        return None

    def finish(self, *, weights: Path | None, status: str) -> None:
        return None


class MlflowTracking:
    """One MLflow run per training job (resumed by name when the job resumes)."""

    def __init__(self, *, uri: str, experiment: str, run_name: str, params: dict[str, Any]):
        import mlflow

        self.client = mlflow.MlflowClient(tracking_uri=uri)
        found = self.client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else self.client.create_experiment(experiment)
        runs = self.client.search_runs(
            [experiment_id], filter_string=f"tags.mlflow.runName = '{run_name}'", max_results=1
        )
        if runs:
            self.run_id = runs[0].info.run_id
        else:
            run = self.client.create_run(experiment_id, run_name=run_name)
            self.run_id = run.info.run_id
            for key, value in params.items():
                self.client.log_param(self.run_id, key, value)

    def epoch(self, row: dict[str, Any]) -> None:
        step = int(row["epoch"])
        for key, value in row.items():
            if key != "epoch" and isinstance(value, int | float):
                self.client.log_metric(self.run_id, key, float(value), step=step)

    def finish(self, *, weights: Path | None, status: str) -> None:
        if weights is not None:
            self.client.log_artifact(self.run_id, str(weights), artifact_path="model")
        self.client.set_terminated(self.run_id, status=status)


class Guarded:
    """Calls the tracker, logs and forgets its failures (tracking is a convenience)."""

    def __init__(self, inner: Tracker) -> None:
        self.inner = inner

    def epoch(self, row: dict[str, Any]) -> None:
        try:
            self.inner.epoch(row)
        except Exception:
            log.exception("MLflow: logging epoch %s failed", row.get("epoch"))

    def finish(self, *, weights: Path | None, status: str) -> None:
        try:
            self.inner.finish(weights=weights, status=status)
        except Exception:
            log.exception("MLflow: closing the run failed")


def tracker_for(*, project: str, training_id: int, params: dict[str, Any]) -> Tracker:
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri:
        return NoTracking()
    try:
        inner = MlflowTracking(
            uri=uri,
            experiment=f"nervemark/{project}",
            run_name=f"training-{training_id}",
            params=params,
        )
    except ImportError:
        log.warning("MLFLOW_TRACKING_URI is set but mlflow-skinny is not installed")
        return NoTracking()
    except Exception:
        log.exception("MLflow: could not start a run at %s", uri)
        return NoTracking()
    return Guarded(inner)
