"""Tuning: SQLite through a KedroSession; MariaDB with parallel and killed workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from pirate_pain.errors import UserInputError, find_user_error
from pirate_pain.modeling.config import TrainConfig, checked
from pirate_pain.parameters import TuneParams, check_search_space
from tests.conftest import (
    TINY_TRAIN,
    kedro_cli,
    make_project,
    read_output,
    run_pipeline,
)
from tests.tracking.assertions import assert_trials_tracked

TINY_SPACE = {
    "optimizer.learning_rate": {
        "type": "float",
        "low": 1e-3,
        "high": 1e-2,
        "log": True,
    },
    "model.cell": {"type": "categorical", "choices": ["gru", "lstm"]},
}


def _tune_params(**overrides) -> dict:
    return {
        "tune": {
            "n_trials": 2,
            "search_space": TINY_SPACE,
            "torch_threads": 1,
            "fixed": {"epochs": 1, "progress_bar": False},
            **overrides,
        },
        "train": TINY_TRAIN,
    }


def _typed(tune: dict) -> tuple[TrainConfig, TuneParams]:
    """The train and tune blocks as a run hands them to the node."""
    tune = {"study_name": "study", "search_space": TINY_SPACE, **tune}
    return TrainConfig.from_params(TINY_TRAIN), checked(TuneParams, tune, "tune")


@pytest.mark.slow
def test_sqlite_study_end_to_end_and_best_params_feed_train(project):
    # workers only read the model inputs: without them, one clear sentence
    with pytest.raises(Exception) as info:
        run_pipeline(project, "tune", _tune_params())
    assert "model_input_train.npz does not exist yet: run the pipeline" in str(
        find_user_error(info.value)
    )
    run_pipeline(project, "ingestion", _tune_params())
    run_pipeline(project, "features", _tune_params())
    run_pipeline(project, "tune", _tune_params())
    storage = f"sqlite:///{project}/data/06_models/optuna_studies.db"
    study = optuna.load_study(study_name="pirate_pain_bigru", storage=storage)
    assert len(study.trials) == 2
    assert_trials_tracked(project, study)
    tuned = yaml.safe_load((project / "conf/tuned/parameters_train.yml").read_text())
    best = study.best_trial.params
    assert tuned["train"]["model"]["cell"] == best["model.cell"]
    assert (
        tuned["train"]["optimizer"]["learning_rate"] == best["optimizer.learning_rate"]
    )
    html = sorted((project / "data/08_reporting/tuning_history.html").glob("*/*"))
    assert html and html[0].stat().st_size > 1000

    # `kedro run --pipeline=train --env=tuned` trains with exactly these values
    run_pipeline(project, "train", {}, env="tuned")
    from pirate_pain.datasets import TorchModelDataset

    model = sorted((project / "data/06_models/trained_model.pt").glob("*/*"))[-1]
    config = TorchModelDataset(str(model)).load()["train_config"]
    assert config["model"]["cell"] == best["model.cell"]
    assert config["optimizer"]["learning_rate"] == best["optimizer.learning_rate"]

    # the 2 best trials of the study join an ensemble as members
    ensemble = {
        "vote": "soft",
        "members": ["bigru"],
        "study_members": {"k": 2},
    }
    run_pipeline(project, "ensemble", {**_tune_params(), "ensemble": ensemble})
    table = sorted((project / "data/08_reporting/ensemble_comparison.csv").glob("*/*"))
    models = set(read_output(table[-1])["model"])
    assert {"bigru_seed1", "trial_1", "trial_2", "ensemble (soft vote)"} <= models


@pytest.mark.parametrize(
    "space, message",
    [
        ({}, "tune.search_space is {}: dictionary should have at least 1 item"),
        (
            {"model.cell": {"type": "choice", "choices": ["gru"]}},
            "tune.search_space.model.cell.type is 'choice': choose one of float, int",
        ),
        (
            {"model.dropout": {"type": "float", "low": 0.5, "high": 0.1}},
            "low 0.5 >= high",
        ),
        (
            {"model.cell": {"type": "categorical", "choices": ["tcn"]}},
            "tune.search_space.model.cell is 'tcn'",
        ),
        (
            {"model.hidden": {"type": "int", "low": 1, "high": 4}},
            "tune.search_space.model.hidden is not a known parameter",
        ),
        (
            {"model.dropout": {"type": "float", "low": 0.0, "high": 0.5}},
            "tune.fixed.epochs is 0",
        ),
    ],
)
def test_invalid_search_space(space, message):
    fixed = {"epochs": 0} if "fixed" in message else {}
    with pytest.raises(UserInputError, match=message.replace("(", "\\(")):
        tune = checked(
            TuneParams,
            {"study_name": "s", "search_space": space, "fixed": fixed},
            "tune",
        )
        check_search_space(TrainConfig(), tune)


def test_one_merge_rule_for_fixed_trials_and_written_block():
    from pirate_pain.parameters import trial_config

    tune = checked(
        TuneParams,
        {
            "study_name": "s",
            "fixed": {"epochs": 3, "model": {"num_layers": 1}},
            "search_space": {
                "model.hidden_size": {"type": "int", "low": 8, "high": 16}
            },
        },
        "tune",
    )
    config = trial_config(TrainConfig(), tune, {"model.hidden_size": 12})
    # fixed and suggested values deep-merge: sibling keys of model stay as they were
    assert (config.epochs, config.model.num_layers, config.model.hidden_size) == (
        3,
        1,
        12,
    )
    assert config.model.cell == TrainConfig().model.cell


# ---------------------------------------------------------------- MariaDB / MySQL
DEFAULT_MYSQL = "mysql+pymysql://root@127.0.0.1:3306/test"


def _mysql_url() -> str:
    url = os.environ.get("PIRATE_PAIN_TEST_MYSQL_URL")
    if url:
        return url  # set (as in CI): the tests must run, never skip
    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
    except OSError:
        pytest.skip(
            "no MySQL/MariaDB on 127.0.0.1:3306 and PIRATE_PAIN_TEST_MYSQL_URL "
            "is not set"
        )
    return DEFAULT_MYSQL


@pytest.fixture(scope="module")
def prepared_project(tmp_path_factory) -> Path:
    """Model inputs prepared once, as once per machine; workers only read them
    (each test below has a study of its own)."""
    _mysql_url()  # skipped before any work where there is no server
    root = make_project(tmp_path_factory.mktemp("tune") / "project")
    assert kedro_cli(root, "run", "--pipelines=ingestion,features").returncode == 0
    return root


@pytest.fixture
def mysql_project(prepared_project):
    url = _mysql_url()
    return prepared_project, url, f"test_{uuid.uuid4().hex[:10]}"


def _worker(root: Path, url: str, study: str, *params: str) -> subprocess.Popen:
    tiny = [
        "train.model.hidden_size=4",
        "train.model.num_layers=1",
        "train.batch_size=16",
        f"tune.study_name={study}",
        "tune.torch_threads=1",
        "tune.fixed.progress_bar=false",
        *params,
    ]
    env = {
        **os.environ,
        "PIRATE_PAIN_OPTUNA_STORAGE": url,
        "KEDRO_DISABLE_TELEMETRY": "true",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kedro",
            "run",
            "--pipeline=tune",
            f"--params={','.join(tiny)}",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.mysql
@pytest.mark.slow
def test_two_workers_share_one_study(mysql_project):
    root, url, study_name = mysql_project
    workers = [
        _worker(root, url, study_name, "tune.n_trials=3", "tune.fixed.epochs=2")
        for _ in range(2)
    ]
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, out[-3000:]
        assert f"joined study '{study_name}'" in out
    study = optuna.load_study(study_name=study_name, storage=url)
    numbers = [t.number for t in study.trials]
    assert len(numbers) == 6 == len(set(numbers))
    owners = {t.user_attrs["worker"] for t in study.trials}
    assert len(owners) == 2
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


@pytest.mark.mysql
@pytest.mark.slow
def test_killed_worker_trial_fails_and_is_retried(mysql_project):
    root, url, study_name = mysql_project
    heartbeat = ["tune.heartbeat_interval=1", "tune.grace_period=3"]
    doomed = _worker(
        root,
        url,
        study_name,
        "tune.n_trials=1",
        "tune.fixed.epochs=500",
        "tune.fixed.patience=500",
        *heartbeat,
    )
    storage = optuna.storages.RDBStorage(url)
    deadline = time.time() + 120
    running = []
    while time.time() < deadline and not running:
        time.sleep(0.5)
        try:
            study = optuna.load_study(study_name=study_name, storage=storage)
            running = study.get_trials(states=[optuna.trial.TrialState.RUNNING])
        except KeyError:
            continue
    assert running, "the first worker never started a trial"
    time.sleep(1.5)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.communicate()
    time.sleep(4)  # past the grace period without a heartbeat

    rescuer = _worker(
        root, url, study_name, "tune.n_trials=2", "tune.fixed.epochs=1", *heartbeat
    )
    out, _ = rescuer.communicate(timeout=300)
    assert rescuer.returncode == 0, out[-3000:]
    study = optuna.load_study(study_name=study_name, storage=url)
    first = study.trials[0]
    assert first.state == optuna.trial.TrialState.FAIL
    retries = [
        t
        for t in study.trials
        if optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t)
        == first.number
    ]
    assert retries and retries[0].state == optuna.trial.TrialState.COMPLETE
    assert retries[0].params == first.params


def test_failing_trials_are_recorded_and_the_study_goes_on(tmp_path):
    from pirate_pain.pipelines.tune.nodes import run_study
    from tests.modeling.test_training_options import _data

    poisoned = _data()
    poisoned["x"][0, 0, 0] = np.nan  # every trial's loss becomes NaN
    url = f"sqlite:///{tmp_path}/study.db"
    params = _tune_params(n_trials=3, study_name="nan_study", heartbeat_interval=5)[
        "tune"
    ]
    with pytest.raises(UserInputError, match="has no completed trial yet"):
        run_study(poisoned, _data(seed=1), url, *_typed(params))
    study = optuna.load_study(study_name="nan_study", storage=url)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 3
    assert all(
        "training loss became nan" in t.user_attrs["fail_reason"] for t in study.trials
    )


@pytest.mark.mysql
@pytest.mark.slow
def test_worker_survives_killed_database_connections(mysql_project):
    """The server drops the worker's connections mid-study (``KILL CONNECTION``, as a
    restart or a network cut does): the worker reconnects and runs its other trials;
    a trial whose write was cut is recorded FAIL with the storage error as reason."""
    import pymysql
    from sqlalchemy.engine import make_url

    root, url, study_name = mysql_project
    worker = _worker(
        root,
        url,
        study_name,
        "tune.n_trials=8",
        "tune.fixed.epochs=3",
        "tune.heartbeat_interval=1",
    )
    parts = make_url(url)
    admin = pymysql.connect(
        host=parts.host,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        database=parts.database,
        autocommit=True,
    )
    storage = optuna.storages.RDBStorage(url)
    killed, complete_at_kill, deadline = 0, None, time.time() + 180
    with admin.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        own = cursor.fetchone()[0]
        while not killed and time.time() < deadline and worker.poll() is None:
            time.sleep(0.5)
            try:
                study = optuna.load_study(study_name=study_name, storage=storage)
            except KeyError:
                continue
            done = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
            if not done:
                continue
            storage.engine.dispose()  # the checker's own connections close first
            cursor.execute(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> %s",
                (parts.database, own),
            )
            complete_at_kill = len(done)
            for (connection_id,) in cursor.fetchall():
                try:
                    cursor.execute(f"KILL CONNECTION {int(connection_id)}")
                    killed += 1
                except pymysql.err.OperationalError:
                    pass  # already gone
    admin.close()
    out, _ = worker.communicate(timeout=300)
    assert killed >= 1, "no worker connection was open to kill"
    assert worker.returncode == 0, out[-3000:]
    trials = optuna.load_study(study_name=study_name, storage=url).trials
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(trials) >= 8
    assert all(t.state.is_finished() for t in trials)  # none left RUNNING
    assert len(complete) > complete_at_kill  # trials completed after the cut
    # the storage error (SQLAlchemy's, or Optuna's wrapper of it) is the reason
    storage_errors = ("StorageInternalError", "OperationalError", "InterfaceError")
    reasons = [t.user_attrs.get("fail_reason", "") for t in failed]
    assert all(any(e in r for e in storage_errors) for r in reasons), reasons


def test_storage_that_stays_away_ends_in_one_sentence(tmp_path, monkeypatch):
    """Lost connections are retried, but not forever: after ``connection_retries``
    losses with no trial finishing, the worker stops with one sentence."""
    from pirate_pain.pipelines.tune import nodes
    from tests.modeling.test_training_options import _data

    calls = []

    def lost(*args, **kwargs):
        calls.append(1)
        raise optuna.exceptions.StorageInternalError("server has gone away")

    monkeypatch.setattr(optuna.Study, "optimize", lost)
    monkeypatch.setattr(nodes.time, "sleep", lambda _s: None)
    params = _tune_params(study_name="gone", connection_retries=2)["tune"]
    url = f"sqlite:///{tmp_path}/study.db"
    with pytest.raises(UserInputError, match="Lost the tuning storage sqlite") as info:
        nodes.run_study(_data(), _data(seed=1), url, *_typed(params))
    assert "3 times without a trial finishing" in str(info.value)
    assert len(calls) == 3


def test_the_trial_a_lost_connection_cut_is_failed_with_the_storage_error(tmp_path):
    """Optuna could not record the end of the trial the cut interrupted: the worker
    records it FAIL on reconnecting, with the error as reason; a finished trial
    stays as it was."""
    from sqlalchemy.exc import OperationalError

    from pirate_pain.pipelines.tune.nodes import _fail_cut_trial

    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/study.db")
    study = optuna.create_study(study_name="cut", storage=storage)
    study.tell(study.ask(), 0.5)  # trial 0: complete
    study.ask()  # trial 1: RUNNING when the connection went
    cut = OperationalError("UPDATE trials", {}, Exception("Lost connection"))
    _fail_cut_trial(study, storage, {"number": 0}, cut)
    assert study.trials[0].state == optuna.trial.TrialState.COMPLETE
    _fail_cut_trial(study, storage, {"number": 1}, cut)
    assert study.trials[1].state == optuna.trial.TrialState.FAIL
    assert study.trials[1].user_attrs["fail_reason"].startswith("OperationalError:")
    _fail_cut_trial(study, storage, {}, cut)  # no trial started yet: nothing to do
