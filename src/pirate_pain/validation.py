"""Read and validate challenge-format files into per-sequence arrays.

A sequence set is a dict of numpy arrays (saved as one ``.npz``):
``values`` (N, T, F) float32, ``lengths`` (N,), ``sample_ids`` (N,),
``feature_names`` (F,), ``categorical_names`` (C,), ``categorical_values`` (N, C),
``labels`` (N,) with -1 where unknown, ``class_names`` (K,).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from .errors import UserInputError
from .modeling.data import check_classes_present

logger = logging.getLogger(__name__)


def _source(frame: pd.DataFrame, default: str) -> str:
    return frame.attrs.get("source", default)


def _first(items) -> str:
    items = list(items)
    shown = ", ".join(str(i) for i in items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def _check_columns(frame: pd.DataFrame, params: dict[str, Any], src: str) -> None:
    expected = [params["id_column"], params["time_column"]]
    expected += list(params["categorical_columns"]) + list(params["numeric_columns"])
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise UserInputError(
            f"{src} is missing column(s) {_first(missing)}: give the file every column "
            "listed in parameters_ingestion.yml (ingestion.numeric_columns and "
            "ingestion.categorical_columns)."
        )
    extra = [c for c in frame.columns if c not in expected]
    if extra:
        raise UserInputError(
            f"{src} has unexpected column(s) {_first(extra)}: remove them or list them "
            "in ingestion.numeric_columns in parameters_ingestion.yml."
        )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_numeric(frame: pd.DataFrame, columns: list[str], src: str, id_col: str):
    """Raise on the first non-numeric, missing or infinite cell."""
    for column in columns:
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad_text = numeric.isna() & frame[column].notna()
        if bad_text.any():
            row = frame.index[bad_text.to_numpy()][0]
            raise UserInputError(
                f"{src} column '{column}' has the non-numeric value "
                f"'{frame.at[row, column]}' in sample {frame.at[row, id_col]} (row "
                f"{row + 2}): replace it with a number."
            )
        values = numeric.to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = frame.index[bad][0]
            raise UserInputError(
                f"{src} column '{column}' has a missing or infinite value in sample "
                f"{frame.at[row, id_col]} (row {row + 2}): fill or remove it."
            )
        # the model computes in float32: beyond its range a value becomes infinite,
        # below its smallest normal it is a denormal that becomes zero
        huge = np.abs(values) > FLOAT32_MAX
        if huge.any():
            row = frame.index[huge][0]
            raise UserInputError(
                f"{src} column '{column}' has the value {values[huge][0]:g} in sample "
                f"{frame.at[row, id_col]} (row {row + 2}), beyond the float32 range "
                f"(±{FLOAT32_MAX:.3g}) the model computes in: rescale the column or fix "
                "the value."
            )
        frame[column] = values


def _check_time(frame: pd.DataFrame, params: dict[str, Any], src: str) -> pd.DataFrame:
    id_col, time_col = params["id_column"], params["time_column"]
    times = frame[time_col].to_numpy()
    fractional = times != np.round(times)
    if fractional.any():
        row = int(np.flatnonzero(fractional)[0])
        raise UserInputError(
            f"{src} column '{time_col}' has the fractional step {times[row]:g} in "
            f"sample {frame.at[row, id_col]} (row {row + 2}): number the time steps "
            "0, 1, 2, ... as whole numbers."
        )
    frame[time_col] = times.astype(np.int64)
    duplicated = frame.duplicated([id_col, time_col])
    if duplicated.any():
        row = frame.index[duplicated.to_numpy()][0]
        raise UserInputError(
            f"{src} has more than one row for sample {frame.at[row, id_col]} at "
            f"{time_col} {frame.at[row, time_col]}: keep one row per "
            f"({id_col}, {time_col})."
        )
    # Sequences keep the order of their first row (submissions follow input order).
    first_seen = {sample: k for k, sample in enumerate(pd.unique(frame[id_col]))}
    sequence_order = frame[id_col].map(first_seen)
    ordered = frame.assign(_order=sequence_order).sort_values(
        ["_order", time_col], kind="stable"
    )
    if not ordered.index.equals(frame.index):
        logger.info("%s: rows were not in time order; sorted.", src)
    ordered = ordered.drop(columns="_order").reset_index(drop=True)
    if not params.get("allow_time_gaps", False):
        step = ordered.groupby(id_col, sort=False)[time_col].diff()
        gap = step.notna() & (step != 1)
        if gap.any():
            row = ordered.index[gap.to_numpy()][0]
            raise UserInputError(
                f"{src} sample {ordered.at[row, id_col]} jumps from {time_col} "
                f"{ordered.at[row, time_col] - int(step[row])} to "
                f"{ordered.at[row, time_col]}: fill the missing steps or set "
                "ingestion.allow_time_gaps: true in parameters_ingestion.yml."
            )
    return ordered


def _check_categorical(frame, columns: list[str], id_col: str, src: str) -> np.ndarray:
    """Per-sequence categorical values (N, C); each must be constant in a sequence."""
    grouped = frame.groupby(id_col, sort=False)
    for column in columns:
        if frame[column].isna().any():
            row = frame.index[frame[column].isna().to_numpy()][0]
            raise UserInputError(
                f"{src} column '{column}' is empty in sample {frame.at[row, id_col]} "
                f"(row {row + 2}): fill it."
            )
        changing = grouped[column].nunique() > 1
        if changing.any():
            raise UserInputError(
                f"{src} column '{column}' changes within sample "
                f"{changing.index[changing.to_numpy()][0]}: a sequence must keep one "
                "value of each categorical column."
            )
    if not columns:
        return np.empty((grouped.ngroups, 0), dtype=str)
    return grouped[columns].first().astype(str).to_numpy()


def _to_array(frame, params, src: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack sorted rows into (N, T, F) with true lengths; pad when configured."""
    id_col = params["id_column"]
    numeric = list(params["numeric_columns"])
    sizes = frame.groupby(id_col, sort=False).size()
    ids = sizes.index.to_numpy().astype(str)
    lengths = sizes.to_numpy()
    values = frame[numeric].to_numpy(dtype=np.float32)
    if (lengths == lengths[0]).all():
        return values.reshape(len(ids), lengths[0], len(numeric)), lengths, ids
    if params.get("unequal_lengths", "refuse") != "pad":
        typical = int(np.bincount(lengths).argmax())
        odd = int(np.flatnonzero(lengths != typical)[0])
        raise UserInputError(
            f"{src} sequences have unequal lengths (sample {ids[odd]} has "
            f"{lengths[odd]} steps, most have {typical}): set ingestion.unequal_lengths: "
            "pad in parameters_ingestion.yml to pad them with a length mask."
        )
    padded = np.zeros((len(ids), lengths.max(), len(numeric)), dtype=np.float32)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for i, (start, length) in enumerate(zip(starts, lengths)):
        padded[i, :length] = values[start : start + length]
    return padded, lengths, ids


def validate_sequences(raw: pd.DataFrame, params: dict[str, Any]) -> dict:
    """Validate a long-format sequence file and stack it per sequence.

    Args:
        raw: One row per (sample, time step), as read from the CSV file.
        params: The ``ingestion`` parameters block.

    Returns:
        A sequence set without labels (``labels`` are all -1).
    """
    src = _source(raw, "the sequence file")
    if raw.empty:
        raise UserInputError(f"{src} has a header but no rows: add the sequence rows.")
    _check_columns(raw, params, src)
    id_col = params["id_column"]
    frame = raw.reset_index(drop=True).copy()
    if frame[id_col].isna().any():
        row = int(np.flatnonzero(frame[id_col].isna().to_numpy())[0])
        raise UserInputError(f"{src} row {row + 2} has no {id_col}: fill it.")
    frame[id_col] = frame[id_col].astype(str)
    _check_numeric(
        frame, [params["time_column"], *params["numeric_columns"]], src, id_col
    )
    frame = _check_time(frame, params, src)
    categorical = _check_categorical(
        frame, list(params["categorical_columns"]), id_col, src
    )
    values, lengths, ids = _to_array(frame, params, src)
    logger.info(
        "Read %d sequences (%d-%d steps, %d numeric columns) from %s.",
        len(ids),
        lengths.min(),
        lengths.max(),
        values.shape[2],
        src,
    )
    return {
        "x": values,
        "lengths": lengths.astype(np.int64),
        "sample_ids": ids,
        "feature_names": np.asarray(params["numeric_columns"], dtype=str),
        "categorical_names": np.asarray(params["categorical_columns"], dtype=str),
        "categorical_values": categorical,
        "y": np.full(len(ids), -1, dtype=np.int64),
        "class_names": np.asarray(params["classes"], dtype=str),
    }


def attach_labels(
    sequences: dict, raw_labels: pd.DataFrame, params: dict[str, Any]
) -> dict:
    """Add integer labels to a sequence set, refusing any mismatch.

    Args:
        sequences: Output of ``validate_sequences``.
        raw_labels: ``sample_index,label`` rows.
        params: The ``ingestion`` parameters block.

    Returns:
        The sequence set with ``labels`` filled in.
    """
    src = _source(raw_labels, "the labels file")
    id_col, label_col = params["id_column"], params["label_column"]
    if raw_labels.empty:
        raise UserInputError(
            f"{src} has a header but no rows: add one label per sample."
        )
    for column in (id_col, label_col):
        if column not in raw_labels.columns:
            raise UserInputError(
                f"{src} has no column '{column}': it needs the columns {id_col},{label_col}."
            )
    labels = raw_labels.assign(**{id_col: raw_labels[id_col].astype(str)})
    doubled = labels[id_col].duplicated()
    if doubled.any():
        raise UserInputError(
            f"{src} labels sample {labels[id_col][doubled].iloc[0]} more than once: "
            "keep one label per sample."
        )
    classes = list(params["classes"])
    unknown = ~labels[label_col].astype(str).isin(classes)
    if unknown.any():
        row = labels[unknown].iloc[0]
        raise UserInputError(
            f"{src} has the unknown label '{row[label_col]}' for sample {row[id_col]}: "
            f"valid labels are {', '.join(classes)} (ingestion.classes)."
        )
    ids = list(sequences["sample_ids"])
    stray = sorted(set(labels[id_col]) - set(ids))
    _check_zero_padding(stray, ids, src)
    if stray:
        raise UserInputError(
            f"{src} labels sample(s) {_first(stray)} that are not in the sequence file: "
            "remove those labels or add their sequences."
        )
    lookup = dict(zip(labels[id_col], labels[label_col].astype(str)))
    unlabelled = [i for i in ids if i not in lookup]
    if unlabelled:
        raise UserInputError(
            f"Sample(s) {_first(unlabelled)} of the sequence file have no label in {src}: "
            "add their labels."
        )
    result = dict(sequences)
    result["y"] = np.asarray([classes.index(lookup[i]) for i in ids], np.int64)
    counts = np.bincount(result["y"], minlength=len(classes))
    logger.info("Labels: %s", dict(zip(classes, counts.tolist())))
    return result


def _check_zero_padding(stray: list[str], ids: list[str], src: str) -> None:
    """Label ids that match sequence ids once leading zeros are dropped (``0`` for
    ``000``): a spreadsheet read the ids as numbers."""

    def unpadded(sample: str) -> str:
        return sample.lstrip("0") or "0"

    padded = {unpadded(i): i for i in ids}
    matched = [
        s for s in stray if unpadded(s) in padded and len(s) < len(padded[unpadded(s)])
    ]
    if stray and len(matched) == len(stray):
        raise UserInputError(
            f"{src} writes sample ids without the leading zeros of the sequence file "
            f"('{matched[0]}' for '{padded[unpadded(matched[0])]}'): write the ids "
            "exactly as in the sequence file (a spreadsheet drops leading zeros "
            "unless the column is formatted as text)."
        )


def attach_training_labels(
    sequences: dict, raw_labels: pd.DataFrame, params: dict[str, Any]
) -> dict:
    """``attach_labels`` for training data: every configured class must be there.

    Returns:
        The labelled sequence set.
    """
    labelled = attach_labels(sequences, raw_labels, params)
    check_classes_present(labelled, 1, "training")
    return labelled
