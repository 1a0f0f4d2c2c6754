"""Row selection and concatenation of sequence sets and model-input dicts."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import StratifiedKFold

PER_SAMPLE = ("x", "lengths", "static", "y", "sample_ids")
# sequence sets (ingestion output) name their per-sample arrays differently
PER_SEQUENCE = ("values", "lengths", "sample_ids", "categorical_values", "labels")


def select_rows(data: dict, index: np.ndarray) -> dict:
    """Rows ``index`` of the per-sample arrays; shared metadata unchanged."""
    rows = set(PER_SAMPLE) | set(PER_SEQUENCE)
    return {k: (v[index] if k in rows else v) for k, v in data.items()}


def concat_model_inputs(first: dict, second: dict) -> dict:
    """Stack two model inputs, padding ``x`` to the longer time axis."""
    steps = max(first["x"].shape[1], second["x"].shape[1])

    def padded(x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, steps - x.shape[1]), (0, 0)))

    merged = dict(first)
    for key in PER_SAMPLE:
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
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in splitter.split(pooled["y"], pooled["y"]):
        yield select_rows(pooled, fit_idx), select_rows(pooled, held_idx)
