"""Row selection and concatenation of model-input dicts."""

from __future__ import annotations

import numpy as np

PER_SAMPLE = ("x", "lengths", "static", "y", "sample_ids")


def subset_model_input(data: dict, index: np.ndarray) -> dict:
    """Rows ``index`` of the per-sample arrays; the rest unchanged."""
    return {k: (v[index] if k in PER_SAMPLE else v) for k, v in data.items()}


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
