"""What the tracking store must hold after a tuning or an ensemble run."""

from __future__ import annotations

import re

import pytest
from mlflow.tracking import MlflowClient


def assert_trials_tracked(project, study) -> None:
    """The worker's MLflow run holds each trial as a nested run: its suggested
    values and its score; the study is named on the worker's run."""
    client = MlflowClient(f"sqlite:///{project}/data/09_tracking/mlflow.db")
    experiment = client.get_experiment_by_name("pirate_pain").experiment_id
    (worker,) = client.search_runs(
        [experiment], "tags.study_name = 'pirate_pain_bigru'"
    )
    assert worker.data.tags["study_storage"].startswith("sqlite:///")
    trials = client.search_runs(
        [experiment], f"tags.mlflow.parentRunId = '{worker.info.run_id}'"
    )
    by_name = {t.info.run_name: t for t in trials}
    assert set(by_name) == {f"trial {t.number}" for t in study.trials}
    for trial in study.trials:
        run = by_name[f"trial {trial.number}"]
        assert run.data.metrics["objective"] == pytest.approx(trial.value)
        assert run.data.params["model.cell"] == trial.params["model.cell"]


def assert_members_tracked(root, members: set[str]) -> None:
    """Both ensemble runs (sequential, ParallelRunner) hold one nested run per
    member, the comparison table and the ensemble as an MLflow model."""
    client = MlflowClient(f"sqlite:///{root}/data/09_tracking/mlflow.db")
    experiment = client.get_experiment_by_name("pirate_pain").experiment_id
    runs = client.search_runs(
        [experiment],
        "tags.pipeline_names = \"['ensemble']\"",
        order_by=["attributes.start_time ASC"],
    )
    # no stray run from a ParallelRunner worker (kedro-mlflow #689): every run
    # without a parent is one of the project's, named "<pipeline> <env> <id>"
    for run in client.search_runs([experiment], ""):
        if "mlflow.parentRunId" not in run.data.tags:
            assert re.fullmatch(r"\S+ \S+ [0-9a-f]{8}", run.info.run_name), run
    for run in runs[-2:]:
        children = client.search_runs(
            [experiment], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
        )
        assert {c.info.run_name for c in children} == {f"member {m}" for m in members}
        assert all("validation_macro_f1" in c.data.metrics for c in children)
        assert all(c.data.params["train.epochs"] == "2" for c in children)
        tables = [a.path for a in client.list_artifacts(run.info.run_id, "tables")]
        assert "tables/ensemble_comparison.csv" in tables
        assert run.data.tags["model_uri"].startswith("models:/")
        assert "validation_macro_f1_soft_vote" in run.data.metrics


def assert_fits_tracked(root, fits: set[str]) -> None:
    """Every ``select`` run holds one nested run per comparison fit, named
    ``<candidate> repeat <r> fold <k>`` with its macro F1, and no run without a
    parent but the project's own (no stray run from a Dask worker)."""
    client = MlflowClient(f"sqlite:///{root}/data/09_tracking/mlflow.db")
    experiment = client.get_experiment_by_name("pirate_pain").experiment_id
    for run in client.search_runs([experiment], ""):
        if "mlflow.parentRunId" not in run.data.tags:
            assert re.fullmatch(r"\S+ \S+ [0-9a-f]{8}", run.info.run_name), run
    runs = client.search_runs([experiment], "tags.pipeline_names = \"['select']\"")
    assert runs
    for run in runs:
        children = client.search_runs(
            [experiment], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
        )
        named = {c.info.run_name: c for c in children}
        assert fits <= set(named), run.info.run_name
        assert all("macro_f1" in named[f].data.metrics for f in fits)
