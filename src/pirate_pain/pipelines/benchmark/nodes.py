"""Benchmark: the project's models and MiniRocket on the same split, timed."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from ...errors import UserInputError
from ...evaluation import classification_metrics
from ...modeling.config import TrainConfig, merge_overrides
from ...modeling.data import concat_model_inputs
from ...modeling.training import fit, make_batches, predict_proba

logger = logging.getLogger(__name__)

BASELINES = ("minirocket",)


def _row(model: str, seed, y_true, y_pred, names, fit_s: float, predict_s: float):
    metrics = classification_metrics(y_true, y_pred, names)
    return {
        "model": model,
        "seed": seed,
        "macro_f1": metrics["macro_f1"],
        "accuracy": metrics["accuracy"],
        "fit_seconds": round(fit_s, 3),
        "predict_seconds": round(predict_s, 3),
    }


def _minirocket(train: dict, test: dict, seed: int, names: list[str]) -> dict:
    """aeon's MiniRocket on zero-padded channels-first arrays (N, C, T)."""
    from aeon.classification.convolution_based import MiniRocketClassifier

    steps = max(train["x"].shape[1], test["x"].shape[1])

    def channels_first(x: np.ndarray) -> np.ndarray:
        padded = np.pad(x, ((0, 0), (0, steps - x.shape[1]), (0, 0)))
        return np.transpose(padded, (0, 2, 1)).astype(np.float64)

    started = time.perf_counter()
    classifier = MiniRocketClassifier(random_state=seed, n_jobs=1)
    classifier.fit(channels_first(train["x"]), train["y"])
    fitted = time.perf_counter()
    predicted = classifier.predict(channels_first(test["x"]))
    done = time.perf_counter()
    return _row(
        "minirocket",
        seed,
        test["y"],
        predicted.astype(int),
        names,
        fitted - started,
        done - fitted,
    )


def benchmark_models(
    train: dict,
    validation: dict,
    test: dict,
    train_params: dict[str, Any],
    params: dict[str, Any],
) -> pd.DataFrame:
    """Train every configured model (each seed) and the baselines; score on test.

    Recurrent models early-stop on the validation split carved from the official
    train split; baselines fit on train + validation. Both see the same data.

    Args:
        train: Model input of the training split.
        validation: Model input of the validation split.
        test: Model input of the labelled test split.
        train_params: The ``train`` block all models start from.
        params: The ``benchmark`` block: ``models`` (name -> overrides), ``seeds``,
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
    names = [str(c) for c in test["class_names"]]
    rows = []
    for model_name, overrides in (params.get("models") or {}).items():
        for seed in params["seeds"]:
            config = TrainConfig.from_params(
                merge_overrides(train_params, {**(overrides or {}), "seed": seed}),
                prefix=f"benchmark.models.{model_name}",
            )
            started = time.perf_counter()
            fitted = fit(
                train, validation, config, log_prefix=f"{model_name} seed {seed}: "
            )
            fit_s = time.perf_counter() - started
            started = time.perf_counter()
            probs = predict_proba(fitted.model, make_batches(test, config.window))
            predict_s = time.perf_counter() - started
            rows.append(
                _row(
                    model_name,
                    seed,
                    test["y"],
                    probs.argmax(1),
                    names,
                    fit_s,
                    predict_s,
                )
            )
            logger.info(
                "%s seed %s: test macro F1 %.4f", model_name, seed, rows[-1]["macro_f1"]
            )
    pooled = concat_model_inputs(train, validation)
    for baseline in params.get("baselines") or []:
        if baseline not in BASELINES:
            raise UserInputError(
                f"benchmark.baselines has '{baseline}': choose from {', '.join(BASELINES)}."
            )
        for seed in params["seeds"]:
            rows.append(_minirocket(pooled, test, seed, names))
            logger.info(
                "minirocket seed %s: test macro F1 %.4f", seed, rows[-1]["macro_f1"]
            )
    table = pd.DataFrame(rows)
    means = table.groupby("model", sort=False).mean(numeric_only=True).reset_index()
    means["seed"] = "mean"
    return pd.concat([table, means], ignore_index=True).round(4)
