"""How far to trust a probability: calibration figures, temperature scaling with
class offsets, and
class-conditional conformal prediction sets.

Everything here is fitted on held-out rows the model never trained on (a model's
early-stopping split, an ensemble's validation split) and stored as plain values
with the ids of those rows, the way the ``macro_f1`` decision rule is (decision.py):

- **Scaling**: ``softmax(log p / T + b)``, a temperature ``T`` and per-class offsets
  ``b`` minimising the log loss on the held-out rows. Temperature alone cannot undo
  what a class-weighted loss does (it raises every rare class's probability), the
  offsets can. It is kept only when it helps out of fold: a 2-fold check on those
  rows (fit on one half, measure the expected calibration error on the other) must
  not raise the ECE; otherwise ``T`` is 1 and ``b`` 0. Labels never come from the
  calibrated probabilities: the decision rule (decision.py) makes them, as before.
- **Prediction sets**: Mondrian (class-conditional) split conformal prediction with
  crepes' ``ConformalClassifier``: each class's held-out scores ``1 - p_true`` set
  its own threshold, so ``high_pain`` (9 % of the rows) gets the stated coverage
  too, not only the average over classes. Non-smoothed p-values: deterministic, and
  the coverage of every class is at least the stated one in expectation.
- **Cross-conformal** where the held-out rows are out-of-fold predictions of k fold
  models (train with ``cross_validation.folds``): the final model is not the model
  that scored those rows, so its scores are not exchangeable with theirs (measured:
  ``low_pain`` covered 0.84 at 0.9). Instead every fold model scores the new row and
  its p-value for a class counts the scores of the rows that fold model held out
  (Vovk's cross-conformal p-value, per class): crepes gives each fold's p-value,
  ``sum_f (n_f + 1) p_f - k + 1`` over ``n + 1`` combines them.
"""

from __future__ import annotations

import logging

import numpy as np
from crepes import ConformalClassifier
from scipy.optimize import minimize
from sklearn.metrics import brier_score_loss

from .scores import mean_log_loss

logger = logging.getLogger(__name__)
N_BINS = 10
LOG_T_BOUNDS = (-3.0, 3.0)  # where the search for T runs: 0.05 to 20
# The lowest temperature kept. Below it (log-odds times more than 4) the rows held
# out are ones the model already separates: their log loss falls without end as T
# falls, and the probabilities would saturate at exactly 0 and 1.
MIN_TEMPERATURE = 0.25
OFFSET_BOUNDS = (-5.0, 5.0)
RIDGE = 1e-3  # on the offsets: a class seen a few times moves them little


def reliability_table(probs: np.ndarray, y: np.ndarray, n_bins: int = N_BINS):
    """Top-label reliability: per equal-width confidence bin, the rows in it, their
    mean confidence and their accuracy (empty bins left out)."""
    confidence, correct = probs.max(1), probs.argmax(1) == y
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        inside = which == b
        if inside.any():
            rows.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "count": int(inside.sum()),
                    "confidence": float(confidence[inside].mean()),
                    "accuracy": float(correct[inside].mean()),
                }
            )
    return rows


def expected_calibration_error(probs: np.ndarray, y: np.ndarray) -> float:
    """Top-label ECE: the row-weighted mean gap between confidence and accuracy."""
    table = reliability_table(probs, y)
    return float(
        sum(r["count"] * abs(r["accuracy"] - r["confidence"]) for r in table) / len(y)
    )


def calibration_figures(probs: np.ndarray, y: np.ndarray) -> dict:
    """ECE, Brier score (scikit-learn's, unscaled: the mean squared distance to the
    one-hot truth, for two classes too) and log loss of ``probs`` against ``y``."""
    labels = list(range(probs.shape[1]))
    probs = np.asarray(probs, dtype=np.float64)
    probs = probs / probs.sum(1, keepdims=True)  # float32 rows sum to 1 within ~1e-7
    return {
        "ece": expected_calibration_error(probs, y),
        "brier": float(brier_score_loss(y, probs, labels=labels, scale_by_half=False)),
        "log_loss": mean_log_loss(y, probs),
    }


def apply_scaling(
    probs: np.ndarray, temperature: float, offsets: list[float] | None = None
) -> np.ndarray:
    """``softmax(log p / T + b)``; unchanged for ``T == 1`` and no offsets."""
    if temperature == 1.0 and (offsets is None or not np.any(offsets)):
        return probs
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    if offsets is not None:
        logits = logits + np.asarray(offsets, dtype=np.float64)
    logits -= logits.max(1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(1, keepdims=True)


def fit_scaling(probs: np.ndarray, y: np.ndarray) -> tuple[float, list[float]]:
    """The temperature and class offsets minimising the mean log loss of ``probs``
    on ``y`` (the first class's offset is 0, as is a class absent from ``y``); a
    temperature below ``MIN_TEMPERATURE`` is set to it and the offsets refitted."""
    n_classes = probs.shape[1]
    present = set(np.unique(y).tolist())
    bounds = [LOG_T_BOUNDS] + [
        OFFSET_BOUNDS if k in present else (0.0, 0.0) for k in range(1, n_classes)
    ]

    def loss(params: np.ndarray) -> float:
        offsets = np.r_[0.0, params[1:]]
        scaled = apply_scaling(probs, float(np.exp(params[0])), offsets)
        return mean_log_loss(y, scaled) + RIDGE * float(offsets @ offsets)

    found = minimize(loss, np.zeros(n_classes), method="L-BFGS-B", bounds=bounds)
    if np.exp(found.x[0]) < MIN_TEMPERATURE:  # no finite optimum: T at its floor
        bounds[0] = (np.log(MIN_TEMPERATURE), np.log(MIN_TEMPERATURE))
        start = np.r_[np.log(MIN_TEMPERATURE), found.x[1:]]
        found = minimize(loss, start, method="L-BFGS-B", bounds=bounds)
    offsets = [0.0, *(round(float(b), 6) for b in found.x[1:])]
    return round(float(np.exp(found.x[0])), 6), offsets


def _halves(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two stratified halves of the rows, deterministic (every other row of each
    class in input order)."""
    first = np.zeros(len(y), dtype=bool)
    for k in np.unique(y):
        first[np.flatnonzero(y == k)[::2]] = True
    return np.flatnonzero(first), np.flatnonzero(~first)


def scaling_out_of_fold(probs: np.ndarray, y: np.ndarray) -> dict:
    """ECE of the held-out rows before and after scaling, each half scaled by the
    temperature and offsets fitted on the other half."""
    scaled = probs.copy()
    for fit_rows, score_rows in (_halves(y), _halves(y)[::-1]):
        if len(fit_rows) and len(score_rows):
            temperature, offsets = fit_scaling(probs[fit_rows], y[fit_rows])
            scaled[score_rows] = apply_scaling(probs[score_rows], temperature, offsets)
    return {
        "ece_before": expected_calibration_error(probs, y),
        "ece_after": expected_calibration_error(scaled, y),
    }


def fit_calibration(probs: np.ndarray, y: np.ndarray, sample_ids, folds=None) -> dict:
    """The stored calibration of a predictor from its held-out probabilities:
    temperature and class offsets (1 and 0 when scaling does not help out of fold),
    the figures before and after, and the conformal scores of the calibrated
    probabilities (``folds``: the fold model that scored each row)."""
    check = scaling_out_of_fold(probs, y)
    n_classes = probs.shape[1]
    temperature, offsets = 1.0, [0.0] * n_classes
    if check["ece_after"] <= check["ece_before"]:
        temperature, offsets = fit_scaling(probs, y)
    scaled = apply_scaling(probs, temperature, offsets)
    return {
        "temperature": temperature,
        "offsets": offsets,
        "out_of_fold": check,
        "before": calibration_figures(probs, y),
        "after": calibration_figures(scaled, y),
        "conformal": conformal_scores(scaled, y, folds),
        "fitted_on": [str(s) for s in sample_ids],
    }


def conformal_scores(probs: np.ndarray, y: np.ndarray, folds=None) -> dict:
    """The non-conformity scores (1 - probability of the true class) of held-out
    rows and their classes, as ``prediction_sets`` reads them; ``folds``: which
    fold model scored each row (cross-conformal)."""
    scores = {
        "scores": [float(s) for s in 1.0 - probs[np.arange(len(y)), y]],
        "labels": [int(k) for k in y],
    }
    if folds is not None:
        scores["folds"] = [int(f) for f in folds]
    return scores


def calibrated(probs: np.ndarray, calibration: dict | None) -> np.ndarray:
    """``probs`` scaled by a stored calibration (unchanged without one)."""
    if not calibration:
        return probs
    return apply_scaling(
        probs, float(calibration["temperature"]), calibration.get("offsets")
    )


def uncalibrated(probs: np.ndarray, calibration: dict) -> np.ndarray:
    """The inverse of ``calibrated``: ``softmax(T (log q - b))``."""
    offsets = np.asarray(calibration.get("offsets") or 0.0, dtype=np.float64)
    logits = float(calibration["temperature"]) * (
        np.log(np.clip(probs, 1e-12, 1.0)) - offsets
    )
    logits -= logits.max(1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(1, keepdims=True)


def prediction_sets(
    probs: np.ndarray, calibration: dict, coverage: float, fold_probs=None
) -> np.ndarray:
    """(N, K) booleans: class ``k`` is in row ``i``'s set when its conformal p-value
    among the held-out rows of class ``k`` is at least ``1 - coverage`` (crepes'
    rule).

    ``probs`` are calibrated probabilities (``calibrated``); with a cross-conformal
    calibration (``folds`` in its scores), ``fold_probs`` are the calibrated
    probabilities of each fold model, in fold order, and decide the sets. A class
    with no held-out row cannot be ruled out, so it is in every set.
    """
    conformal = calibration["conformal"]
    scores = np.asarray(conformal["scores"], dtype=np.float64)
    labels = np.asarray(conformal["labels"], dtype=np.int64)
    folds = np.asarray(conformal.get("folds", np.zeros(len(labels))), dtype=np.int64)
    if "folds" in conformal and fold_probs is None:
        raise ValueError("a cross-conformal calibration needs the fold models' probs")
    per_fold = fold_probs if "folds" in conformal else [probs]
    counts = np.zeros(probs.shape)  # held-out scores >= the row's, per class
    for fold, fold_prob in zip(np.unique(folds), per_fold):
        rows = folds == fold
        p_values = ConformalClassifier().fit(scores[rows], bins=labels[rows])
        for k in np.unique(labels[rows]):
            n_k = int((labels[rows] == k).sum())
            bins = np.full(len(probs), k)
            p = p_values.predict_p(1.0 - fold_prob, bins, smoothing=False)
            counts[:, k] += np.rint(p[:, k] * (n_k + 1)) - 1
    sets = np.ones(probs.shape, dtype=bool)
    for k in np.unique(labels):
        p_value = (counts[:, k] + 1) / ((labels == k).sum() + 1)
        sets[:, k] = p_value >= 1.0 - coverage
    return sets


def rows_to_rule_out(coverage: float) -> int:
    """The held-out rows a class needs before a set at ``coverage`` can leave it
    out: its smallest p-value, 1 / (n + 1), must fall below 1 - coverage (10 at
    0.9)."""
    n = 0
    while 1.0 / (n + 1) >= 1.0 - coverage:
        n += 1
    return n


def never_ruled_out(calibration: dict, n_classes: int, coverage: float) -> dict:
    """Classes in every set at ``coverage`` because they have fewer held-out rows
    than ``rows_to_rule_out``: class index -> its held-out rows."""
    labels = np.asarray(calibration["conformal"]["labels"], dtype=np.int64)
    counts = np.bincount(labels, minlength=n_classes)
    needed = rows_to_rule_out(coverage)
    return {k: int(n) for k, n in enumerate(counts) if n < needed}


def coverage_table(sets: np.ndarray, y: np.ndarray, class_names: list[str]) -> dict:
    """Empirical coverage per class (the share of its rows whose set holds the
    truth), overall, and the mean set size, on labelled rows."""
    covered = sets[np.arange(len(y)), y]
    per_class = {
        name: float(covered[y == k].mean()) if (y == k).any() else None
        for k, name in enumerate(class_names)
    }
    return {
        "per_class": per_class,
        "overall": float(covered.mean()) if len(y) else None,
        "mean_set_size": float(sets.sum(1).mean()) if len(y) else None,
        "share_flagged": float((sets.sum(1) != 1).mean()) if len(y) else None,
    }


def log_calibration(calibration: dict, where: str) -> None:
    """One line: the scaling, and the ECE it gives out of fold and in sample."""
    logger.info(
        "Calibration on the %s: temperature %.3f, offsets %s (ECE out of fold "
        "%.4f -> %.4f, in sample %.4f -> %.4f).",
        where,
        calibration["temperature"],
        calibration["offsets"],
        calibration["out_of_fold"]["ece_before"],
        calibration["out_of_fold"]["ece_after"],
        calibration["before"]["ece"],
        calibration["after"]["ece"],
    )


def calibration_summary(predictor: dict) -> dict | None:
    """The figures of a predictor's calibration, without its stored scores."""
    calibration = predictor.get("calibration")
    if not calibration:
        return None
    keep = (
        "rows",
        "temperature",
        "offsets",
        "fold_scaling",
        "out_of_fold",
        "before",
        "after",
    )
    return {key: calibration[key] for key in keep if key in calibration}
