"""Fits fanned out: the same tables as one fit at a time, on a real Dask
``LocalCluster`` of two worker processes, even when a worker dies mid-run."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pandas as pd
import pytest

from pirate_pain.fanout import (
    WORKER_CONFIG,
    FanoutParams,
    Sequential,
    Task,
    fan_out,
    next_task,
)
from pirate_pain.hooks import FanoutHook
from tests.conftest import TINY_TRAIN, read_output, run_pipeline
from tests.tracking.assertions import assert_fits_tracked

SELECT = {"candidates": ["bigru", "minirocket"], "folds": 2}
OUTPUTS = ("comparison_table", "oof_predictions", "selection_table")
TIMES = ["fit_seconds", "predict_seconds"]


def _square(value: int) -> int:
    return value * value


def test_one_worker_runs_in_this_process_in_order(caplog):
    caplog.set_level("INFO", logger="pirate_pain.fanout")
    with fan_out(FanoutParams(workers=1)) as runner:
        assert isinstance(runner, Sequential)
        tasks = [Task(str(k), _square, (k,)) for k in range(5)]
        assert runner.run(tasks, "squares") == [0, 1, 4, 9, 16]
    # one progress line per fit: its time, done of total, elapsed, time left
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 5
    assert re.fullmatch(
        r"squares: 5/5 fits done \(4, 0m00s\), 0m00s elapsed, about 0m00s left",
        lines[-1],
    )


def test_the_default_spreads_over_the_cores_without_oversubscription():
    cores = os.cpu_count() or 1
    assert FanoutParams().local_workers() == cores
    assert FanoutParams(threads_per_fit=2).local_workers() == max(1, cores // 2)
    assert FanoutParams(workers=3).local_workers() == 3


def test_on_a_cuda_machine_each_gpu_takes_the_stated_number_of_fits(monkeypatch):
    # no GPU here: the count of CUDA devices is what a two-GPU machine reports
    monkeypatch.setattr("pirate_pain.fanout.cuda_devices", lambda: 2)
    assert FanoutParams().local_workers() == 4  # fits_per_gpu: 2
    assert FanoutParams(fits_per_gpu=3, threads_per_fit=4).local_workers() == 6
    assert FanoutParams(workers=1).local_workers() == 1


def test_an_address_in_the_environment_points_at_a_scheduler(monkeypatch):
    monkeypatch.setenv("PIRATE_PAIN_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    assert FanoutParams().address() == "tcp://10.0.0.5:8786"
    assert FanoutParams(scheduler="tcp://a:1").address() == "tcp://a:1"


def _worker_facts(_: int) -> tuple[int, str | None]:
    return os.getpid(), os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_are_other_processes_without_dasks_malloc_trim():
    # Dask's MALLOC_TRIM_THRESHOLD_=65536 makes a torch fit 1.5x slower (docs/fanout.md)
    with fan_out(FanoutParams(workers=2)) as runner:
        facts = runner.run([Task(str(k), _worker_facts, (k,)) for k in range(4)], "w")
    assert all(pid != os.getpid() for pid, _ in facts)
    assert {trim for _, trim in facts} == {None}


def test_a_run_keeps_one_local_cluster_for_its_nodes_and_stops_it_at_the_end():
    from pirate_pain import settings

    assert any(isinstance(hook, FanoutHook) for hook in settings.HOOKS)
    hook = FanoutHook()
    hook.before_pipeline_run(run_params={}, pipeline=None, catalog=None)
    try:  # two nodes that fan out, one after the other, in one run
        with fan_out(FanoutParams(workers=2)) as first:
            before = first.run(
                [Task(str(k), _worker_facts, (k,)) for k in range(4)], "a"
            )
        with fan_out(FanoutParams(workers=2)) as second:
            after = second.run(
                [Task(str(k), _worker_facts, (k,)) for k in range(4)], "b"
            )
            assert second.client is first.client
            assert second.client.status == "running"  # still up between nodes
    finally:
        hook.after_pipeline_run(
            run_params={}, run_result=None, pipeline=None, catalog=None
        )
    # the same worker processes served both nodes; the run's end stopped them
    assert {pid for pid, _ in after} == {pid for pid, _ in before}
    assert first.client.status == "closed"
    with fan_out(FanoutParams(workers=2)) as outside:  # no run: its own cluster
        assert outside.client is not first.client


def test_the_longest_expected_fit_goes_out_first_and_untimed_kinds_before_it():
    waiting = list(
        enumerate(
            [
                Task("rocket fold 3", _square, kind="rocket"),
                Task("deep fold 3", _square, kind="deep"),
                Task("new fold 3", _square, kind="new"),
                Task("deep fold 4", _square, kind="deep"),
            ]
        )
    )
    seconds = {"rocket": [1.0, 1.2], "deep": [30.0, 20.0]}
    assert next_task(waiting, seconds) == 2  # not timed yet: could be the longest
    del waiting[2]
    assert next_task(waiting, seconds) == 1  # deep (25 s) before rocket, in order
    assert next_task(waiting, {}) == 0  # nothing timed: the order given
    assert Task("a", _square).cost_key() == "a"  # no kind: the name


def _select(project, fanout: dict) -> dict[str, pd.DataFrame]:
    params = {"train": TINY_TRAIN, "select": SELECT, "fanout": fanout}
    run_pipeline(project, "select", params)
    tables = {}
    for name in OUTPUTS:
        path = sorted((project / "data").glob(f"*/{name}.csv/*/*"))[-1]
        tables[name] = read_output(path).drop(columns=TIMES, errors="ignore")
    selection = sorted((project / "data").glob("*/ensemble_selection.json/*/*"))[-1]
    tables["ensemble_selection"] = pd.read_json(selection, typ="series").to_frame()
    return tables


def _kill_one_worker_when_busy(client, killed: list) -> None:
    """SIGKILL one worker process as soon as it is running a fit."""
    for _ in range(600):
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.1)


@pytest.mark.slow
def test_select_on_a_local_cluster_matches_the_sequential_run(project):
    import dask
    from dask.distributed import Client, LocalCluster

    sequential = _select(project, {"workers": 1})
    with (
        dask.config.set(WORKER_CONFIG),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        address = cluster.scheduler_address
        fanned = _select(project, {"scheduler": address})
        killed: list[int] = []
        killer = threading.Thread(
            target=_kill_one_worker_when_busy, args=(client, killed)
        )
        killer.start()
        survived = _select(project, {"scheduler": address})
        killer.join()
    assert killed, "no worker was killed: the run ended before any fit started"
    for name in [*OUTPUTS, "ensemble_selection"]:  # bit for bit
        pd.testing.assert_frame_equal(fanned[name], sequential[name], check_exact=True)
        pd.testing.assert_frame_equal(
            survived[name], sequential[name], check_exact=True
        )
    assert len(sequential["oof_predictions"]) == 2 * 60  # every candidate, every row
    # each fit is tracked by the run's process as it comes back, on every runner
    fits = {f"{c} repeat 1 fold {k}" for c in SELECT["candidates"] for k in (1, 2)}
    assert_fits_tracked(project, fits)


def _kfold_and_benchmark(fanout: FanoutParams) -> tuple[dict, dict, pd.DataFrame]:
    from pirate_pain.modeling.config import TrainConfig
    from pirate_pain.parameters import BenchmarkParams
    from pirate_pain.pipelines.benchmark.nodes import benchmark_models
    from pirate_pain.pipelines.train.nodes import cross_validate
    from tests.model_inputs import model_input

    train, validation = model_input(seed=0), model_input(seed=1)
    config = TrainConfig.from_params(
        {**TINY_TRAIN, "seed": 3, "cross_validation": {"folds": 3}}
    )
    models, summary = cross_validate(train, validation, {}, config, fanout)
    table = benchmark_models(
        train,
        validation,
        model_input(seed=2),
        config,
        {"tiny": {}, "tiny_gru": {"model": {"cell": "gru"}}},
        BenchmarkParams(models=["tiny", "tiny_gru"], seeds=[1, 2]),
        fanout,
    )
    return models, summary, table.drop(columns=TIMES)


def test_kfold_folds_and_benchmark_seeds_on_a_local_cluster_match_one_at_a_time():
    """Every k-fold fold and every benchmark model x seed is a task: on two worker
    processes the fold models, their out-of-fold predictions and the benchmark
    table are those of one fit at a time, bit for bit."""
    one = _kfold_and_benchmark(FanoutParams(workers=1))
    hook = FanoutHook()  # both nodes on one cluster, as in a Kedro run
    hook.before_pipeline_run(run_params={}, pipeline=None, catalog=None)
    try:
        two = _kfold_and_benchmark(FanoutParams(workers=2))
    finally:
        hook.after_pipeline_run(
            run_params={}, run_result=None, pipeline=None, catalog=None
        )
    (models_1, summary_1, table_1), (models_2, summary_2, table_2) = one, two
    assert models_2["held_out"] == models_1["held_out"]
    assert len(models_1["held_out"]["y"]) == 60  # every labelled row, once
    assert [m["model_id"] for m in models_2["models"]] == [
        m["model_id"] for m in models_1["models"]
    ]
    assert summary_2 == summary_1 and len(summary_1["folds"]) == 3
    pd.testing.assert_frame_equal(table_2, table_1, check_exact=True)
    assert list(table_1["model"]) == ["tiny", "tiny", "tiny_gru", "tiny_gru"] + [
        "tiny",
        "tiny_gru",
    ]
