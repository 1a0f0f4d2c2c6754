"""Row selection and concatenation of sequence sets and model-input dicts."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from ..errors import UserInputError

# One vocabulary for every sequence set: validated sequences (ingestion) carry raw
# values in ``x`` and ``categorical_values``; model inputs carry scaled ``x`` and
# categorical codes in ``static``. ``y`` is -1 where there is no label.
PER_SAMPLE = ("x", "lengths", "y", "sample_ids", "static", "categorical_values")


def select_rows(data: dict, index: np.ndarray) -> dict:
    """Rows ``index`` of the per-sample arrays; shared metadata unchanged."""
    return {k: (v[index] if k in PER_SAMPLE else v) for k, v in data.items()}


def concat_model_inputs(first: dict, second: dict) -> dict:
    """Stack two model inputs, padding ``x`` to the longer time axis."""
    steps = max(first["x"].shape[1], second["x"].shape[1])

    def padded(x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, steps - x.shape[1]), (0, 0)))

    merged = dict(first)
    for key in ("x", "lengths", "static", "y", "sample_ids"):
        a, b = first[key], second[key]
        if key == "x":
            a, b = padded(a), padded(b)
        merged[key] = np.concatenate([a, b])
    return merged


def stratified_folds(
    train: dict, validation: dict, folds: int, seed: int
) -> Iterator[tuple[dict, dict]]:
    """The one k-fold routine: stratified folds of train + validation pooled.

    Yields:
        ``(fit_part, held_out_part)`` model inputs, one pair per fold.
    """
    pooled = concat_model_inputs(train, validation)
    counts = np.bincount(pooled["y"], minlength=len(pooled["class_names"]))
    if counts.min() < folds:
        name = pooled["class_names"][int(counts.argmin())]
        raise UserInputError(
            f"Class '{name}' has {counts.min()} labelled sequence(s), fewer than the "
            f"{folds} folds (train.cross_validation.folds / tune.objective_folds): "
            "lower the folds or add data."
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in splitter.split(pooled["y"], pooled["y"]):
        yield select_rows(pooled, fit_idx), select_rows(pooled, held_idx)


def stratified_holdout(data: dict, fraction: float, seed: int) -> tuple[dict, dict]:
    """A stratified ``(fit, held_out)`` split of one model input (``fraction`` held
    out): the early-stopping split inside a cross-validation fold."""
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    fit_idx, held_idx = next(splitter.split(data["y"], data["y"]))
    return select_rows(data, fit_idx), select_rows(data, held_idx)
