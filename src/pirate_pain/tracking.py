"""Experiment tracking: logging helpers that work from any process, and nested runs.

kedro-mlflow opens one MLflow run per ``kedro run`` (``hooks.TrackingHook``). The
helpers here log into a run *by id* through ``MlflowClient``, so a node running in a
``ParallelRunner`` worker (where kedro-mlflow's active run does not exist,
kedro-mlflow issue #689) logs into the right run: the hook exports the run id and
the tracking URI as environment variables before the workers start.

Tracking never fails a run: the first error is a warning, later ones are silent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .dead_runs import OWNER_TAG, current_owner

logger = logging.getLogger(__name__)

RUN_ENV = "PIRATE_PAIN_MLFLOW_RUN_ID"  # the kedro run's MLflow run, for workers
URI_ENV = "PIRATE_PAIN_MLFLOW_STORE"  # ... and its store (MLflow's own variable is
# the user's: a stale value there would redirect later runs)
MAX_PARAM = 6000  # MLflow's limit on a parameter value
_warned: list[str] = []


def warn_once(what: str, exc: BaseException) -> None:
    """One warning per process for a tracking failure; the run goes on."""
    if not _warned:
        logger.warning(
            "Experiment tracking failed (%s: %s: %s); the run goes on without it.",
            what,
            type(exc).__name__,
            exc,
        )
    _warned.append(what)


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"model": {"cell": "gru"}}}`` -> ``{"train.model.cell": "gru"}``;
    pydantic blocks are dumped first."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if hasattr(value, "model_dump"):
            value = value.model_dump(mode="json")
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat |= flatten(value, f"{name}.")
        else:
            flat[name] = value
    return flat


class Run:
    """One MLflow run, written by id (any process, any thread)."""

    def __init__(self, run_id: str) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=os.environ.get(URI_ENV) or None)
        self.run_id = run_id

    def params(self, values: Mapping[str, Any]) -> None:
        from mlflow.entities import Param, RunTag

        flat = {k: "" if v is None else str(v) for k, v in flatten(values).items()}
        params = [Param(k, v) for k, v in flat.items() if len(v) <= MAX_PARAM]
        tags = [RunTag(k, v) for k, v in flat.items() if len(v) > MAX_PARAM]
        for start in range(0, len(params), 100):  # MLflow's batch limit
            self.client.log_batch(self.run_id, params=params[start : start + 100])
        if tags:
            self.client.log_batch(self.run_id, tags=tags)

    def metrics(self, values: Mapping[str, float], step: int = 0) -> None:
        from mlflow.entities import Metric

        now = _now_ms()
        batch = [
            Metric(k, float(v), now, step)
            for k, v in values.items()
            if isinstance(v, int | float) and v == v  # NaN is no measurement
        ]
        self.client.log_batch(self.run_id, metrics=batch)

    def history(self, records: list[dict]) -> None:
        """Per-epoch curves as metric histories (step = epoch)."""
        keys = ("train_loss", "val_loss", "val_macro_f1", "learning_rate")
        for record in records:
            self.metrics({k: record[k] for k in keys if k in record}, record["epoch"])

    def tags(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self.client.set_tag(self.run_id, key, str(value))

    def artifact(self, path: str, folder: str | None = None) -> None:
        self.client.log_artifact(self.run_id, path, folder)


def current_run_id() -> str | None:
    """The kedro run's MLflow run: the active one, or the one a worker inherited."""
    try:
        import mlflow

        active = mlflow.active_run()
    except Exception:  # tracking not installed or not configured
        return None
    if active:
        return active.info.run_id
    # a worker: both set by the run that started it (hooks.TrackingHook)
    if os.environ.get(RUN_ENV) and os.environ.get(URI_ENV):
        return os.environ[RUN_ENV]
    return None


@contextmanager
def nested_run(
    name: str, params: Mapping[str, Any] | None = None
) -> Iterator[Run | None]:
    """A child run of the kedro run (``None`` when nothing is tracked).

    Used for k-fold folds, comparison fits, tuning trials and ensemble members.
    """
    parent = current_run_id()
    run = None
    if parent is not None:
        try:
            client = Run(parent).client
            experiment = client.get_run(parent).info.experiment_id
            tags = {"mlflow.parentRunId": parent, OWNER_TAG: current_owner()}
            created = client.create_run(experiment, run_name=name, tags=tags)
            run = Run(created.info.run_id)
            if params:
                run.params(params)
        except Exception as exc:
            warn_once(f"nested run {name}", exc)
            run = None
    status = "FINISHED"
    try:
        yield run
    except BaseException:
        status = "FAILED"
        raise
    finally:
        if run is not None:
            safely(run.client.set_terminated, run.run_id, status)


def safely(call, *args, **kwargs) -> Any:
    """``call(*args)``, or None and one warning if tracking fails."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:
        warn_once(getattr(call, "__name__", str(call)), exc)
        return None


def current_run() -> Run | None:
    """The kedro run's MLflow run, or None when nothing is tracked."""
    run_id = current_run_id()
    return Run(run_id) if run_id else None


def tag_run(tags: Mapping[str, Any]) -> None:
    """Tags on the kedro run's MLflow run (nothing when nothing is tracked)."""
    if run := safely(current_run):
        safely(run.tags, tags)


def log_metrics(values: Mapping[str, float]) -> None:
    """Metrics on the kedro run's MLflow run (nothing when nothing is tracked)."""
    if run := safely(current_run):
        safely(run.metrics, values)


def log_fit(run: Run | None, history: list[dict], metrics: Mapping[str, float]) -> None:
    """A fit's curves and scores into ``run`` (a nested run, or nothing)."""
    if run is not None:
        safely(run.history, history)
        safely(run.metrics, metrics)


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)
