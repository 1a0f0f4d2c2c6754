"""Data-driven feature selection, categorical merge and per-group scaling.

Everything is fitted on the training split only and written to one JSON
``feature_transform`` that inference applies unchanged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from ...errors import UserInputError
from ...modeling.data import check_classes_present, holdout_indices, select_rows
from ...modeling.profile import fit_profile

logger = logging.getLogger(__name__)

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def split_train_validation(
    sequences: dict, params: dict[str, Any]
) -> tuple[dict, dict]:
    """Stratified train / validation split with a seed.

    Args:
        sequences: Labelled sequence set.
        params: The ``features`` block (``validation_fraction``, ``split_seed``).

    Returns:
        The training part and the validation part.
    """
    fraction = float(params["validation_fraction"])
    if not 0.0 < fraction < 1.0:
        raise UserInputError(
            f"features.validation_fraction is {fraction}: choose a value between 0 and 1."
        )
    labels = sequences["y"]
    check_classes_present(sequences, 2, "a stratified train / validation split")
    try:
        train_idx, val_idx = holdout_indices(labels, fraction, params["split_seed"])
    except ValueError as exc:
        raise UserInputError(
            f"The stratified split failed ({exc}): every class needs at least two "
            "samples; lower features.validation_fraction or add data."
        ) from exc
    train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
    logger.info(
        "Split: %d training, %d validation sequences.", len(train_idx), len(val_idx)
    )
    return select_rows(sequences, train_idx), select_rows(sequences, val_idx)


def _valid_steps(sequences: dict) -> np.ndarray:
    """All real (unpadded) time steps stacked: (sum of lengths, F)."""
    values, lengths = sequences["x"], sequences["lengths"]
    mask = np.arange(values.shape[1])[None, :] < lengths[:, None]
    return values[mask].astype(np.float64)


def _select_columns(steps: np.ndarray, names: list[str], params) -> tuple[list, list]:
    """Drop constant columns, then one column of each highly correlated pair."""
    dropped = []
    std = steps.std(axis=0)
    keep = []
    for j, name in enumerate(names):
        if std[j] <= float(params["constant_std_threshold"]):
            dropped.append({"column": name, "reason": f"constant (std {std[j]:.2e})"})
        else:
            keep.append(j)
    threshold = float(params["correlation_threshold"])
    if threshold < 1.0 and len(keep) > 1:
        corr = np.abs(np.corrcoef(steps[:, keep], rowvar=False))
        kept_local: list[int] = []
        for a in range(len(keep)):
            partner = next((b for b in kept_local if corr[a, b] > threshold), None)
            if partner is None:
                kept_local.append(a)
                continue
            dropped.append(
                {
                    "column": names[keep[a]],
                    "reason": f"|correlation| {corr[a, partner]:.3f} with "
                    f"{names[keep[partner]]} > {threshold}",
                }
            )
        keep = [keep[a] for a in kept_local]
    return [names[j] for j in keep], dropped


def _fit_scalers(steps, names: list[str], kept: list[str], groups: list) -> list[dict]:
    """One scaler per configured group; statistics per column of the group."""
    fitted = []
    for spec in groups or []:
        group, kind = spec["name"], spec.get("scaler", "standard")
        if kind not in SCALERS:
            raise UserInputError(
                f"features.scaling_groups '{group}' scaler is '{kind}': choose one of "
                f"{', '.join(SCALERS)}."
            )
        patterns = [re.compile(p) for p in spec["columns"]]
        matched = [n for n in names if any(p.fullmatch(n) for p in patterns)]
        if not matched:
            raise UserInputError(
                f"features.scaling_groups '{group}' matches no column of the data: fix "
                "its column patterns in parameters_features.yml."
            )
        columns = [n for n in matched if n in kept]
        if not columns:
            continue
        scaler = SCALERS[kind]().fit(steps[:, [names.index(c) for c in columns]])
        if kind == "minmax":
            center, scale = scaler.data_min_, scaler.data_range_
        else:
            center = getattr(scaler, "mean_", getattr(scaler, "center_", None))
            scale = scaler.scale_
        scale = np.where(scale > 0, scale, 1.0)
        fitted.append(
            {
                "group": group,
                "scaler": kind,
                "columns": columns,
                "center": center.tolist(),
                "scale": scale.tolist(),
            }
        )
    return fitted


def _static_features(train: dict, cat_names: list[str], merge: dict) -> list[dict]:
    """The categorical inputs: the merged column (``n_limbs``) when enabled, then
    every other categorical column with its training vocabulary."""
    merged = [c for c in merge.get("columns", []) if c in cat_names]
    if merge.get("enabled", False) and len(merged) != len(merge.get("columns", [])):
        missing = sorted(set(merge["columns"]) - set(cat_names))
        raise UserInputError(
            f"features.merge_categorical.columns names {', '.join(missing)}, which the "
            "data does not have: fix parameters_features.yml."
        )
    static = []
    if merge.get("enabled", False):
        static.append(
            {
                "name": merge["output_name"],
                "merge_of": merged,
                "normal_value": str(merge["normal_value"]),
                "vocabulary": ["0", "1"],
            }
        )
    for j, column in enumerate(cat_names):
        if merge.get("enabled", False) and column in merged:
            continue
        vocab = sorted(set(train["categorical_values"][:, j].tolist()))
        static.append({"name": column, "column": column, "vocabulary": vocab})
    return static


def fit_feature_transform(train: dict, params: dict[str, Any]) -> tuple[dict, dict]:
    """Fit column selection, the categorical merge and group scalers on train only.

    Args:
        train: The training part of the labelled sequence set.
        params: The ``features`` block.

    Returns:
        The transform (JSON-ready) and a report of what was dropped or merged and why.
    """
    names = [str(n) for n in train["feature_names"]]
    steps = _valid_steps(train)
    kept, dropped = _select_columns(steps, names, params)
    scalers = _fit_scalers(steps, names, kept, params.get("scaling_groups"))

    cat_names = [str(n) for n in train["categorical_names"]]
    static = _static_features(train, cat_names, params.get("merge_categorical") or {})
    transform = {
        "feature_names": names,
        # what training saw per input column: inference refuses data unlike it
        "profile": fit_profile(steps, names, train["categorical_values"], cat_names),
        "kept_features": kept,
        "scalers": scalers,
        "static_features": static,
        "class_names": [str(c) for c in train["class_names"]],
    }
    classes, counts = np.unique(train["y"], return_counts=True)
    report = {
        "n_training_sequences": int(len(train["y"])),
        "class_counts": {
            transform["class_names"][c]: int(n) for c, n in zip(classes, counts)
        },
        "dropped_features": dropped,
        "kept_features": kept,
        "merged_categorical": [s for s in static if "merge_of" in s],
        "scaling_groups": [
            {k: s[k] for k in ("group", "scaler", "columns")} for s in scalers
        ],
    }
    logger.info(
        "Features: kept %d of %d; dropped %s.",
        len(kept),
        len(names),
        ", ".join(d["column"] for d in dropped) or "none",
    )
    return transform, report
