"""Shared fixtures: tiny challenge-format data and a throw-away copy of the project.

Imports nothing of Kedro or MLflow at module level: ``tests/gpu`` runs under this
file on a GPU machine that has neither (``benchmarks/gpu_check.sh``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.register_assert_rewrite("tests.tracking.assertions")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")  # never any network
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # mlflow ui / serve too
os.environ.setdefault("DO_NOT_TRACK", "true")

REPO = Path(__file__).resolve().parents[1]
SHARED_EXCERPT = REPO.parent / "shared" / "data" / "pirate_pain_excerpt"

TINY_GLOBALS = {
    "data_source": "synthetic",
    "raw_dir": "data/01_raw/synthetic",
    "synthetic": {"n_train": 60, "n_test": 24, "n_steps": 32, "seed": 7},
}
TINY_TRAIN = {
    "epochs": 2,
    "batch_size": 16,
    "progress_bar": False,
    "model": {"hidden_size": 8, "num_layers": 1},
}


def pytest_collection_modifyitems(items):
    """Files with end-to-end runs (``slow``) first, the last of them in the alphabet
    (tracking, tune, the fan-out: the longest, 85-120 s each) at the very front:
    pytest-xdist hands out a file at a time, and a long file started last keeps one
    worker busy while the other idles. The order inside a file is kept."""
    slow = sorted({item.path for item in items if item.get_closest_marker("slow")})
    rank = {path: -index for index, path in enumerate(slow)}
    items.sort(key=lambda item: (item.path not in rank, rank.get(item.path, 0)))


@pytest.fixture
def tiny_raw():
    """Long-format frame and labels of 24 sequences of 16 steps."""
    from pirate_pain.synthetic import SyntheticSpec, _make_split

    spec = SyntheticSpec(n_train=24, n_test=0, n_steps=16, seed=7)
    frame, labels = _make_split(24, spec, np.random.default_rng(7))
    frame.attrs["source"] = "train.csv"
    labels.attrs["source"] = "labels.csv"
    return frame, labels


@pytest.fixture(autouse=True)
def _own_tracking_store():
    """A test never leaves MLflow's store variable to the next one (MLflow exports
    it when a session in this process sets its store)."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    if before is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = before


@pytest.fixture
def ingestion_params():
    with open(REPO / "conf/base/parameters_ingestion.yml") as handle:
        return yaml.safe_load(handle)["ingestion"]


@pytest.fixture
def features_params():
    with open(REPO / "conf/base/parameters_features.yml") as handle:
        return yaml.safe_load(handle)["features"]


@functools.cache  # once per test process
def _empty_tracking_store() -> Path:
    """An MLflow SQLite store with its tables made: MLflow's migrations take a
    second or more for every new store, and most tests start a new project."""
    import tempfile

    from mlflow import MlflowClient

    path = Path(tempfile.mkdtemp(prefix="mlflow_store_")) / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()  # makes the tables
    return path


def make_project(
    root: Path, globals_: dict | None = None, fresh_tracking_store: bool = False
) -> Path:
    """Copy the project's configuration into ``root`` with tiny data settings, and
    an empty MLflow store (none with ``fresh_tracking_store``: the first run makes
    it, as in a new clone)."""
    shutil.copytree(
        REPO / "conf", root / "conf", ignore=shutil.ignore_patterns("local")
    )
    (root / "conf" / "local").mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(REPO / ".telemetry", root / ".telemetry")
    (root / "data").mkdir()
    (root / "src").mkdir()  # the package itself is installed
    with open(root / "conf/local/globals.yml", "w") as handle:
        yaml.safe_dump(globals_ or TINY_GLOBALS, handle)
    # fits one at a time in the test's process, in every environment (the fan-out
    # has its own tests: tests/test_fanout.py)
    fanout = root / "conf/base/parameters_fanout.yml"
    block = yaml.safe_load(fanout.read_text())
    block["fanout"]["workers"] = 1
    fanout.write_text(yaml.safe_dump(block))
    if not fresh_tracking_store:
        (root / "data/09_tracking").mkdir()
        shutil.copy(_empty_tracking_store(), root / "data/09_tracking/mlflow.db")
    return root


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A bootstrapped copy of the project in a temporary folder (cwd moved there);
    the pipelines follow its files, not an earlier test's last session."""
    from kedro.framework.startup import bootstrap_project

    from pirate_pain.configuration import forget_run

    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    bootstrap_project(root)
    forget_run()
    return root


def run_pipeline(
    root: Path, pipeline: str, params: dict | None = None, env=None, **run_kwargs
):
    """Run a registered pipeline through a real KedroSession."""
    from kedro.framework.session import KedroSession

    with KedroSession.create(
        project_path=root, env=env, runtime_params=params or {}
    ) as session:
        return session.run(pipeline_names=[pipeline], **run_kwargs)


TEXT_COLUMNS = yaml.safe_load((REPO / "conf/base/catalog.yml").read_text())[
    "_text_columns"
]["dtype"]


def read_output(path, dtype=None, **kwargs):
    """A CSV output read as the catalog reads it: ids, labels and names as text
    (``dtype``: more columns, or ``str`` for every column)."""
    import pandas as pd

    if not isinstance(dtype, dict) and dtype is not None:
        return pd.read_csv(path, dtype=dtype, **kwargs)
    return pd.read_csv(path, dtype={**TEXT_COLUMNS, **(dtype or {})}, **kwargs)


def kedro_subprocess(
    root: Path, *args: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the ``kedro`` command line in a new process in ``root``, as a user would:
    for tests about the process itself (signals, concurrency, its environment)."""
    return subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=root,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


_LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"  # conf/logging.yml


def kedro_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the ``kedro`` command line in ``root`` in this process (Kedro's own
    ``KedroCLI`` through click's ``CliRunner``): the same commands, options, exit
    codes and messages as ``kedro_subprocess`` without a new interpreter's imports.
    The log, which Kedro's handler writes to the process's stderr, is captured too."""
    import io
    import logging
    import traceback

    from click.testing import CliRunner
    from kedro.framework.cli.cli import KedroCLI

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, "%H:%M:%S"))
    handler.setLevel(logging.INFO)
    before = os.getcwd()
    os.chdir(root)
    logging.getLogger().addHandler(handler)
    try:
        result = CliRunner().invoke(KedroCLI(root), list(args))
    finally:
        logging.getLogger().removeHandler(handler)
        os.chdir(before)
    stderr = log.getvalue() + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(
        ["kedro", *args], result.exit_code, result.stdout, stderr
    )


def nodes_ran(result: subprocess.CompletedProcess) -> set[str]:
    """Names of the nodes a successful ``kedro`` command ran."""
    assert result.returncode == 0, result.stderr[-3000:]
    return {
        line.split("Running node: ")[1].split(":")[0]
        for line in result.stderr.splitlines()
        if "Running node: " in line
    }
