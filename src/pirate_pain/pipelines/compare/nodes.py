"""Repeated stratified k-fold comparison of candidate configurations.

Every candidate is fitted on the same folds (train + validation pooled, the one
k-fold routine), so differences are paired; no test labels are needed. Inside a
fold, early stopping and a ``macro_f1`` decision rule use a stratified part of the
fold's training rows; the scored fold is never seen before it is scored.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from ...evaluation import classification_metrics
from ...modeling.classifier import Classifier
from ...modeling.comparison import corrected_interval, paired_difference
from ...modeling.config import TrainConfig
from ...modeling.data import stratified_folds, stratified_holdout
from ...modeling.training import attach_decision, fit
from ...parameters import CompareParams, candidate_config
from ...tracking import log_fit, nested_run

logger = logging.getLogger(__name__)


def _fitted(cache: dict, key: tuple, fit_part: dict, config: TrainConfig, prefix: str):
    """Fit ``config`` (its decision rule aside) once per fold: candidates that
    differ only in the decision rule share the model, so their difference is the
    rule's alone. Returns the model with the candidate's rule attached."""
    base = config.model_copy(update={"decision_rule": "argmax"})
    cache_key = (json.dumps(base.to_dict(), sort_keys=True), *key)
    if cache_key not in cache:
        cache[cache_key] = fit(*fit_part, base, log_prefix=prefix)
    fitted = dataclasses.replace(cache[cache_key])
    if config.decision_rule == "macro_f1":
        attach_decision(fitted, fit_part[1], config, prefix)
    return fitted


def _oof_rows(name, repeat, fold, held, probs, names) -> list[dict]:
    predicted = probs.argmax(1)
    return [
        {
            "configuration": name,
            "repeat": repeat,
            "fold": fold,
            "sample_index": str(sample),
            "label": names[held["y"][i]],
            "predicted": names[predicted[i]],
            **{f"p_{c}": float(probs[i, j]) for j, c in enumerate(names)},
        }
        for i, sample in enumerate(held["sample_ids"])
    ]


def cross_validate_candidates(
    train: dict,
    validation: dict,
    train_params: TrainConfig,
    candidates: dict[str, Any],
    compare: CompareParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each candidate by repeated stratified k-fold on the labelled data.

    Args:
        train: Model input of the training split.
        validation: Model input of the validation split (pooled with train).
        train_params: The ``train`` block candidates start from.
        candidates: Named overrides of the train block.
        compare: The ``compare`` block: candidates, reference, folds, repeats, seed.

    Returns:
        One row per candidate (mean macro F1, standard deviation, Nadeau-Bengio 95 %
        interval, paired difference to the reference with interval and p-value) and
        the out-of-fold predictions of every candidate and repeat.
    """
    names = [str(c) for c in train["class_names"]]
    configs = {
        name: candidate_config(
            train_params, candidates, name, "compare.candidates"
        ).model_copy(update={"fit_on_validation": False})
        for name in compare.candidates
    }
    scores: dict[str, list[float]] = {name: [] for name in configs}
    oof_rows = []
    for repeat in range(1, compare.repeats + 1):
        seed = compare.seed + repeat - 1
        folds = stratified_folds(train, validation, compare.folds, seed)
        for k, (fit_part, held) in enumerate(folds, start=1):
            inner = stratified_holdout(fit_part, compare.early_stopping_fraction, seed)
            fold_scores, rows = _score_fold(configs, inner, held, (repeat, k), names)
            for name, score in fold_scores.items():
                scores[name].append(score)
            oof_rows += rows
    n = len(train["y"]) + len(validation["y"])
    reference = compare.reference or compare.candidates[0]
    rows = [
        _summary_row(name, values, scores[reference], reference, n, compare.folds)
        for name, values in scores.items()
    ]
    return pd.DataFrame(rows).round(6), pd.DataFrame(oof_rows)


def _score_fold(configs, inner, held, key, names) -> tuple[dict, list[dict]]:
    """Every candidate fitted on one fold's ``inner`` split and scored on ``held``:
    macro F1 per candidate and the out-of-fold rows."""
    repeat, k = key
    scores, oof_rows, cache = {}, [], {}
    for name, config in configs.items():
        prefix = f"{name} repeat {repeat} fold {k}: "
        fields = {"configuration": name, "repeat": repeat, "fold": k}
        with nested_run(prefix.rstrip(": "), fields) as run:
            fitted: Classifier = _fitted(cache, key, inner, config, prefix)
            probs = fitted.probabilities(held, config.window)
            metrics = classification_metrics(held["y"], probs.argmax(1), names)
            log_fit(run, fitted.history, {"macro_f1": metrics["macro_f1"]})
        scores[name] = metrics["macro_f1"]
        oof_rows += _oof_rows(name, repeat, k, held, probs, names)
    return scores, oof_rows


def _summary_row(name, values, reference_values, reference, n, folds) -> dict:
    """Mean macro F1 with its corrected interval and the paired difference to the
    reference (Nadeau-Bengio: training and test sizes of one fold)."""
    n_test = n // folds
    mean, std, low, high = corrected_interval(values, n - n_test, n_test)
    diff, diff_low, diff_high, p_value = paired_difference(
        values, reference_values, n - n_test, n_test
    )
    logger.info(
        "%s: macro F1 %.4f [%.4f, %.4f]; vs %s %+.4f (p %.3g)",
        name,
        mean,
        low,
        high,
        reference,
        diff,
        p_value,
    )
    return {
        "configuration": name,
        "macro_f1_mean": mean,
        "macro_f1_std": std,
        "ci95_low": low,
        "ci95_high": high,
        "reference": reference,
        "diff_vs_reference": diff,
        "diff_ci95_low": diff_low,
        "diff_ci95_high": diff_high,
        "p_value": p_value,
        "fits": len(values),
    }


def add_test_column(
    table: pd.DataFrame,
    train: dict,
    validation: dict,
    test: dict,
    train_params: TrainConfig,
    candidates: dict[str, Any],
    compare: CompareParams,
) -> pd.DataFrame:
    """``test_macro_f1`` per candidate (one fit on the standard split) where the test
    split has labels: reported beside the cross-validated figures, never chosen on
    (no node that chooses reads the test split)."""
    if not compare.score_test or not len(test["y"]) or (test["y"] < 0).any():
        return table
    names = [str(c) for c in train["class_names"]]
    scores = []
    for name in table["configuration"]:
        config = candidate_config(train_params, candidates, name, "compare.candidates")
        fitted = fit(train, validation, config, log_prefix=f"{name} test column: ")
        probs = fitted.probabilities(test, config.window)
        scores.append(
            classification_metrics(test["y"], probs.argmax(1), names)["macro_f1"]
        )
    return table.assign(test_macro_f1=np.round(scores, 6))
