"""Experiment tracking through kedro-mlflow: real runs into a real SQLite store, the
logged model loaded and served over HTTP, the MLflow UI in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import (
    REPO,
    kedro_cli,
    kedro_subprocess,
    make_project,
    read_output,
)
from tests.viz.test_kedro_viz import CHROMIUM, _free_port, browse

TINY = "train.model.hidden_size=8,train.model.num_layers=1,train.progress_bar=false"


def _client(root: Path):
    from mlflow.tracking import MlflowClient

    return MlflowClient(f"sqlite:///{root}/data/09_tracking/mlflow.db")


def _runs(root: Path, filter_string: str = ""):
    client = _client(root)
    experiment = client.get_experiment_by_name("pirate_pain")
    return client.search_runs([experiment.experiment_id], filter_string)


def _latest(root: Path, folder: str) -> Path:
    return sorted((root / folder).glob("*/*"))[-1]


def _wait(url: str, server: subprocess.Popen, seconds: float = 120) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(1)


def _start(args: list[str], root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=root,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> Path:
    """A project whose fresh default SQLite store got two `kedro run` processes
    started together (2 and 3 epochs); shared by this module's tests."""
    root = make_project(
        tmp_path_factory.mktemp("tracked") / "project", fresh_tracking_store=True
    )
    runs = [
        _start(
            [
                sys.executable,
                "-m",
                "kedro",
                "run",
                "--pipeline=train",
                f"--params={TINY},train.epochs={epochs}",
            ],
            root,
        )
        for epochs in (2, 3)
    ]
    for run in runs:
        out, _ = run.communicate(timeout=300)
        assert run.returncode == 0, out[-3000:]
        assert "Experiment tracking failed" not in out
    return root


@pytest.mark.slow
def test_concurrent_runs_are_tracked_and_the_logged_model_predicts_and_serves(
    tracked: Path,
):
    root = tracked
    train_runs = _runs(root, "tags.pipeline_names = \"['train']\"")
    assert len(train_runs) == 2
    client = _client(root)
    for run in train_runs:
        epochs = int(run.data.params["train.epochs"])
        assert re.fullmatch(r"train local [0-9a-f]{8}", run.info.run_name)
        assert run.data.params["train.model.hidden_size"] == "8"
        assert run.data.tags["data_source"] == "synthetic"
        assert len(run.data.tags["raw_files_sha256"]) == 64
        assert 0.0 <= run.data.metrics["validation_macro_f1"] <= 1.0
        curve = client.get_metric_history(run.info.run_id, "val_macro_f1")
        assert [m.step for m in curve] == list(range(1, epochs + 1))
        plots = [a.path for a in client.list_artifacts(run.info.run_id, "plots")]
        assert "plots/confusion_matrix.png" in plots
    assert sorted(r.data.params["train.epochs"] for r in train_runs) == ["2", "3"]

    # the latest model, logged with its preprocessing, answers like the pipeline
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{root}/data/09_tracking/mlflow.db")
    assert kedro_cli(root, "run", "--pipeline=inference").returncode == 0
    submission = read_output(
        _latest(root, "data/07_model_output/test_probabilities.csv"),
    )
    (run,) = [
        r for r in train_runs if r.data.tags["model_id"] == submission.model_id[0]
    ]
    uri = run.data.tags["model_uri"]
    raw = pd.read_csv(
        root / "data/01_raw/synthetic/pirate_pain_test.csv",
        dtype={"sample_index": str},
    )
    predicted = mlflow.pyfunc.load_model(uri).predict(raw)
    assert predicted["sample_index"].tolist() == submission["sample_index"].tolist()
    assert predicted["label"].tolist() == submission["label"].tolist()
    pd.testing.assert_frame_equal(
        predicted, submission.drop(columns="model_id"), check_dtype=False
    )

    # `mlflow models serve` answers a dataframe_split request
    port = _free_port()
    server = _start(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "serve",
            "-m",
            uri,
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        root,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/ping", server)
        body = json.dumps({"dataframe_split": raw.to_dict(orient="split")}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())["predictions"]
        # asked for them: which columns made each call
        asked = {"dataframe_split": raw.to_dict(orient="split")}
        asked["params"] = {"attributions": True}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps(asked).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            explained = json.loads(response.read())["predictions"]
        # a frame without a training column: 400 with the project's own sentence
        missing = raw.drop(columns="joint_00").head(320)
        body = json.dumps({"dataframe_split": missing.to_dict(orient="split")})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)
        assert refused.value.code == 400
        message = json.loads(refused.value.read())["message"]
        assert "missing column(s) joint_00" in message, message
        assert "unexpected error" not in message
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert [row["label"] for row in answer] == submission["label"].tolist()
    # the calibrated model's prediction sets, as the pipeline writes them
    assert [row["prediction_set"] for row in answer] == submission[
        "prediction_set"
    ].tolist()
    assert "top_columns" not in answer[0]  # only when asked
    columns = set(raw.columns)
    for row in explained:
        top = row["top_columns"].split("|")
        assert len(top) == 3 and set(top) <= columns, row
    assert [row["label"] for row in explained] == submission["label"].tolist()
    assert [row["sample_index"] for row in answer] == submission[
        "sample_index"
    ].tolist()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_mlflow_ui_lists_the_runs_in_a_real_browser(tracked: Path, tmp_path):
    root = tracked
    names = {r.info.run_name for r in _runs(root)}
    assert len(names) >= 2
    experiment = _client(root).get_experiment_by_name("pirate_pain").experiment_id
    port = _free_port()
    server = _start(
        [
            sys.executable,
            "-m",
            "mlflow",
            "ui",
            "--backend-store-uri",
            f"sqlite:///{root}/data/09_tracking/mlflow.db",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        root,
    )
    url = f"http://127.0.0.1:{port}/#/experiments/{experiment}/runs"
    try:
        _wait(f"http://127.0.0.1:{port}/health", server)
        dom, shot = browse(url, tmp_path, "mlflow_runs.png", "1600,900", 20000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name in names:
        assert name in dom, f"run {name} is not listed"
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_tracking_off_and_a_broken_store_never_fail_a_run(tmp_path):
    root = make_project(tmp_path / "project", fresh_tracking_store=True)
    # a variable read when the settings are imported: a new process each
    off = kedro_subprocess(
        root, "run", "--pipeline=ingestion", env={"PIRATE_PAIN_TRACKING": "off"}
    )
    assert off.returncode == 0, off.stderr[-3000:]
    assert not (root / "data/09_tracking/mlflow.db").exists()
    (tmp_path / "a_file").write_text("not a folder")
    broken = kedro_subprocess(
        root,
        "run",
        "--pipeline=ingestion",
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/a_file/x.db"},
    )
    assert broken.returncode == 0, broken.stderr[-3000:]
    assert broken.stderr.count("Experiment tracking failed") == 1
    assert "Pipeline execution completed successfully" in broken.stderr


def test_the_shipped_store_is_sqlite_inside_the_project(monkeypatch):
    from pirate_pain.configuration import tracking_store

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(REPO)
    assert tracking_store("db", "data/09_tracking/mlflow.db") == (
        f"sqlite:///{REPO / 'data/09_tracking/mlflow.db'}"
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://tracking.example:5000")
    assert tracking_store("db", "x.db") == "https://tracking.example:5000"
