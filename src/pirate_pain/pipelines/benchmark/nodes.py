"""Benchmark: the project's models and MiniRocket on the same split, timed."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...baselines import minirocket_row, score_row
from ...errors import UserInputError
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
    names = [str(c) for c in test["class_names"]]
    rows = []
    for model_name in params.models:
        base = candidate_config(
            train_params, candidates, model_name, "benchmark.models"
        )
        for seed in params.seeds:
            config = base.with_overrides({"seed": seed}, f"candidates.{model_name}")
            rows.append(_timed_row(model_name, seed, config, train, validation, test))
            logger.info(
                "%s seed %s: test macro F1 %.4f", model_name, seed, rows[-1]["macro_f1"]
            )
    pooled = concat_model_inputs(train, validation)
    if params.baselines:  # minirocket, the one baseline there is
        for seed in params.seeds:
            rows.append(minirocket_row(pooled, test, seed, names))
            logger.info(
                "minirocket seed %s: test macro F1 %.4f", seed, rows[-1]["macro_f1"]
            )
    table = pd.DataFrame(rows)
    means = table.groupby("model", sort=False).mean(numeric_only=True).reset_index()
    means["seed"] = "mean"
    return pd.concat([table, means], ignore_index=True).round(4)


def _timed_row(name, seed, config, train, validation, test) -> dict:
    """Fit one model with one seed, score it on ``test``, time both."""
    started = time.perf_counter()
    fitted = fit(train, validation, config, log_prefix=f"{name} seed {seed}: ")
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    probs = fitted.probabilities(test, config.window)
    predict_s = time.perf_counter() - started
    names = [str(c) for c in test["class_names"]]
    return score_row(name, seed, test["y"], probs.argmax(1), names, fit_s, predict_s)
