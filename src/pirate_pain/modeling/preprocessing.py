"""Apply a fitted feature transform: the model input of a sequence set.

Fitting lives in the features pipeline; applying lives here, with the model, so
prediction needs nothing from a pipeline.
"""

from __future__ import annotations

import numpy as np

from ..errors import UserInputError


def _static_codes(sequences: dict, static: list[dict]) -> np.ndarray:
    """Per-sequence categorical codes (N, S); code 0 is kept for unseen values."""
    cat_names = [str(n) for n in sequences["categorical_names"]]
    values = sequences["categorical_values"]
    codes = np.zeros((len(sequences["sample_ids"]), len(static)), dtype=np.int64)
    for s, spec in enumerate(static):
        if "merge_of" in spec:
            cols = [cat_names.index(c) for c in spec["merge_of"]]
            codes[:, s] = (values[:, cols] != spec["normal_value"]).any(axis=1) + 1
        else:
            lookup = {v: i + 1 for i, v in enumerate(spec["vocabulary"])}
            column = values[:, cat_names.index(spec["column"])]
            codes[:, s] = [lookup.get(v, 0) for v in column]
    return codes


def apply_feature_transform(sequences: dict, transform: dict) -> dict:
    """Apply a fitted transform; the result is the model input.

    Args:
        sequences: A sequence set (labelled or not) with the training columns.
        transform: Output of ``fit_feature_transform``.

    Returns:
        ``x`` (N, T, F') float32, ``lengths``, ``static`` (N, S), ``y``,
        ``sample_ids``, ``feature_names``, ``class_names``, ``static_cardinalities``.
    """
    names = [str(n) for n in sequences["feature_names"]]
    if names != transform["feature_names"]:
        raise UserInputError(
            "The input columns differ from those the preprocessing was fitted on: "
            "give the file the training columns."
        )
    x = sequences["x"].astype(np.float32).copy()
    for spec in transform["scalers"]:
        idx = [names.index(c) for c in spec["columns"]]
        center = np.asarray(spec["center"], dtype=np.float32)
        scale = np.asarray(spec["scale"], dtype=np.float32)
        x[:, :, idx] = (x[:, :, idx] - center) / scale
    kept = [names.index(c) for c in transform["kept_features"]]
    x = x[:, :, kept]
    pad = np.arange(x.shape[1])[None, :] >= sequences["lengths"][:, None]
    x[pad] = 0.0
    static = transform["static_features"]
    return {
        "x": x,
        "lengths": sequences["lengths"].astype(np.int64),
        "static": _static_codes(sequences, static),
        "y": sequences["y"].astype(np.int64),
        "sample_ids": sequences["sample_ids"],
        "feature_names": np.asarray(transform["kept_features"], dtype=str),
        "class_names": np.asarray(transform["class_names"], dtype=str),
        # +1: code 0 stands for a value never seen in training.
        "static_cardinalities": np.asarray(
            [len(s["vocabulary"]) + 1 for s in static], dtype=np.int64
        ),
    }
