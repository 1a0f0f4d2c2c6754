"""Row selection and concatenation of sequence sets and model-input dicts."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from ..errors import UserInputError

logger = logging.getLogger(__name__)

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


def holdout_indices(
    y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Stratified ``(fit, held_out)`` row indices with ``fraction`` held out
    (scikit-learn's ``StratifiedShuffleSplit``, rounding up).

    Small data with many classes: where ``fraction`` of the rows is fewer than the
    classes, one sequence of every class is held out instead; a class with a single
    sequence stays in the fit part (the held-out rows lack it); where no class has
    two, nothing is held out (``None``).
    """
    y = np.asarray(y)
    counts = np.bincount(y)
    splittable = np.flatnonzero(counts >= 2)
    if not len(splittable):
        return np.arange(len(y)), None
    rows = np.flatnonzero(np.isin(y, splittable))  # every row when all have two
    n_held = int(np.ceil(fraction * len(y)))
    if n_held < len(splittable):
        n_held = len(splittable)
        logger.info(
            "Holding out one sequence of each of the %d classes (%.2g of %d "
            "sequences would be fewer).",
            n_held,
            fraction,
            len(y),
        )
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_held, random_state=seed)
    fit_idx, held_idx = next(splitter.split(rows, y[rows]))
    if len(rows) == len(y):
        return fit_idx, held_idx
    return np.setdiff1d(np.arange(len(y)), rows[held_idx]), rows[held_idx]


def stratified_holdout(
    data: dict, fraction: float, seed: int
) -> tuple[dict, dict | None]:
    """A stratified ``(fit, held_out)`` split of one model input: the
    early-stopping split inside a cross-validation fold (``holdout_indices``);
    ``held_out`` is None where no class has two sequences (no early stopping)."""
    fit_idx, held_idx = holdout_indices(data["y"], fraction, seed)
    if held_idx is None:
        logger.warning(
            "No class has two sequences among %d: nothing held out for early "
            "stopping, every epoch is trained.",
            len(fit_idx),
        )
        return data, None
    return select_rows(data, fit_idx), select_rows(data, held_idx)


def check_classes_present(sequences: dict, needed: int, purpose: str) -> None:
    """Every configured class has at least ``needed`` labelled sequences."""
    names = [str(c) for c in sequences["class_names"]]
    counts = np.bincount(sequences["y"], minlength=len(names))
    for name, count in zip(names, counts):
        if count == 0:
            raise UserInputError(
                f"Class '{name}' has no labelled training sequence: a classifier "
                "cannot learn it; add sequences of it to the labels file or remove it "
                "from ingestion.classes."
            )
        if count < needed:
            raise UserInputError(
                f"Class '{name}' has {count} labelled training sequence(s), fewer than "
                f"the {needed} that {purpose} needs: add data or lower the split / "
                "fold settings."
            )
