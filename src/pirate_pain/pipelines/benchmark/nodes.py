"""Benchmark: the project's models and MiniRocket on the same split, timed."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...baselines import minirocket_row, score_row
from ...errors import UserInputError
from ...fanout import FanoutParams, Task, configured, fan_out
from ...modeling.config import TrainConfig
from ...modeling.data import concat_model_inputs
from ...modeling.training import fit
from ...parameters import BenchmarkParams, candidate_config

logger = logging.getLogger(__name__)


def benchmark_models(
    train: dict,
    validation: dict,
    test: dict,
    train_params: TrainConfig,
    candidates: dict[str, Any],
    params: BenchmarkParams,
    fanout: FanoutParams,
) -> pd.DataFrame:
    """Train every configured model (each seed) and the baselines; score on test.

    Models early-stop on the validation split carved from the official train
    split (or, with ``fit_on_validation``, fit on both); baselines fit on train +
    validation. All see the same data.

    Args:
        train: Model input of the training split.
        validation: Model input of the validation split.
        test: Model input of the labelled test split.
        train_params: The ``train`` block all models start from.
        candidates: Named overrides of the train block.
        params: The ``benchmark`` block: ``models`` (candidate names), ``seeds``,
            ``baselines``.
        fanout: Where the fits run (``fanout.py``): every model x seed is one
            task (``fanout.workers: 1`` times each fit alone on the machine).

    Returns:
        One row per model and seed plus a mean row per model: macro F1, accuracy,
        fit and predict seconds.
    """
    if not len(test["y"]) or (test["y"] < 0).any():
        raise UserInputError(
            "The benchmark needs test labels (test_labels.csv next to the raw test "
            "file): use the synthetic data or a public benchmark environment."
        )
    if not params.models and not params.baselines:
        raise UserInputError(
            "benchmark.models and benchmark.baselines are both empty: name at least one "
            "candidate or baseline in parameters_benchmark.yml."
        )
    with fan_out(fanout) as runner:
        tasks = _tasks(
            runner, train, validation, test, train_params, candidates, params
        )
        rows = runner.run(tasks, "benchmark")
    for task, row in zip(tasks, rows):
        logger.info("%s: test macro F1 %.4f", task.name, row["macro_f1"])
    table = pd.DataFrame(rows)
    means = table.groupby("model", sort=False).mean(numeric_only=True).reset_index()
    means["seed"] = "mean"
    return pd.concat([table, means], ignore_index=True).round(4)


def _tasks(runner, train, validation, test, train_params, candidates, params):
    """One task per model and seed, then one per MiniRocket seed."""
    tasks = []
    for model_name in params.models:
        base = candidate_config(
            train_params, candidates, model_name, "benchmark.models"
        )
        for seed in params.seeds:
            config = base.with_overrides({"seed": seed}, f"candidates.{model_name}")
            args = (model_name, seed, configured(runner, config), train, validation)
            name = f"{model_name} seed {seed}"
            tasks.append(Task(name, timed_row, (*args, test), kind=model_name))
    if params.baselines:  # minirocket, the one baseline there is
        pooled = concat_model_inputs(train, validation)
        names = [str(c) for c in test["class_names"]]
        tasks += [
            Task(
                f"minirocket seed {seed}",
                minirocket_row,
                (pooled, test, seed, names),
                kind="minirocket baseline",
            )
            for seed in params.seeds
        ]
    return tasks


def timed_row(name, seed, config, train, validation, test) -> dict:
    """One task: fit one model with one seed, score it on ``test``, time both."""
    started = time.perf_counter()
    fitted = fit(train, validation, config, log_prefix=f"{name} seed {seed}: ")
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    probs = fitted.probabilities(test, config.window)
    predict_s = time.perf_counter() - started
    names = [str(c) for c in test["class_names"]]
    return score_row(name, seed, test["y"], probs.argmax(1), names, fit_s, predict_s)
