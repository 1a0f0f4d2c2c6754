"""Repeated stratified k-fold comparison of candidate configurations.

Every candidate is fitted on the same folds (train + validation pooled, the one
k-fold routine), so differences are paired; no test labels are needed.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ...evaluation import classification_metrics
from ...modeling.batches import make_batches
from ...modeling.comparison import corrected_interval, paired_difference
from ...modeling.config import TrainConfig
from ...modeling.data import stratified_folds
from ...modeling.training import fit, predict_proba
from ...parameters import CompareParams, candidate_config

logger = logging.getLogger(__name__)


def _fold_scores(train, validation, config, compare, name, oof_rows) -> list[float]:
    scores = []
    names = [str(c) for c in train["class_names"]]
    for repeat in range(compare.repeats):
        folds = stratified_folds(
            train, validation, compare.folds, compare.seed + repeat
        )
        for k, (fit_part, held) in enumerate(folds):
            prefix = f"{name} repeat {repeat + 1} fold {k + 1}: "
            fitted = fit(fit_part, held, config, log_prefix=prefix)
            probs = predict_proba(fitted.model, make_batches(held, config.window))
            predicted = probs.argmax(1)
            scores.append(
                classification_metrics(held["y"], predicted, names)["macro_f1"]
            )
            for i, sample in enumerate(held["sample_ids"]):
                oof_rows.append(
                    {
                        "configuration": name,
                        "repeat": repeat + 1,
                        "fold": k + 1,
                        "sample_index": str(sample),
                        "label": names[held["y"][i]],
                        "predicted": names[predicted[i]],
                        **{f"p_{c}": float(probs[i, j]) for j, c in enumerate(names)},
                    }
                )
    return scores


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
    n = len(train["y"]) + len(validation["y"])
    n_test = n // compare.folds
    scores, oof_rows = {}, []
    for name in compare.candidates:
        config = candidate_config(train_params, candidates, name, "compare.candidates")
        config = config.model_copy(update={"fit_on_validation": False})
        scores[name] = _fold_scores(train, validation, config, compare, name, oof_rows)
    reference = compare.reference or compare.candidates[0]
    rows = []
    for name, values in scores.items():
        mean, std, low, high = corrected_interval(values, n - n_test, n_test)
        diff, diff_low, diff_high, p_value = paired_difference(
            values, scores[reference], n - n_test, n_test
        )
        rows.append(
            {
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
    return pd.DataFrame(rows).round(6), pd.DataFrame(oof_rows)
