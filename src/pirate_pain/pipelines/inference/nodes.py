"""Inference: labels for a test file, from a model or an ensemble artifact."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from ...modeling.artifacts import model_id
from ...modeling.attribution import explain
from ...modeling.calibration import (
    calibration_figures,
    coverage_table,
    never_ruled_out,
    reliability_table,
    rows_to_rule_out,
    uncalibrated,
)
from ...modeling.predict import fold_probabilities, predict, sets_of
from ...modeling.runtime import compute_settings, describe_device, resolve_device
from ...parameters import InferenceParams
from ...validation import attach_labels, validate_sequences

logger = logging.getLogger(__name__)


def attach_optional_labels(
    sequences: dict, raw_labels: pd.DataFrame, params: dict[str, Any]
) -> dict:
    """Attach test labels where a labels file exists (benchmarks, synthetic data).

    Returns:
        The sequence set, labelled when the file exists (labels -1 otherwise).
    """
    if raw_labels.attrs.get("missing"):
        logger.info(
            "No test labels at %s: test scores are skipped.",
            raw_labels.attrs.get("source"),
        )
        return sequences
    return attach_labels(sequences, raw_labels, params)


def predict_test_file(
    predictor: dict,
    raw_test: pd.DataFrame,
    params: dict[str, Any],
    inference: InferenceParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate the raw test file and predict every sequence, in input order.

    One node, so a file that is refused (bad cells, columns unlike training) leaves
    no intermediate output behind.

    Args:
        predictor: A model artifact or an ensemble artifact.
        raw_test: The raw test file (long format).
        params: The ``ingestion`` block.
        inference: The ``inference`` block (device, input check).

    Returns:
        The submission (``sample_index,label``) and per-class probabilities.
    """
    sequences = validate_sequences(raw_test, params)
    return predict_test_sequences(predictor, sequences, params, inference)


def add_prediction_sets(table: pd.DataFrame, sets: np.ndarray, names: list) -> None:
    """``prediction_set`` (class names joined by ``|``, ``none`` when empty) and
    ``look_at`` (the set is not one class: a person should look) beside the label."""
    table["prediction_set"] = [
        "|".join(n for n, inside in zip(names, row) if inside) or "none" for row in sets
    ]
    table["look_at"] = sets.sum(1) != 1
    logger.info(
        "Prediction sets: mean size %.2f, %d of %d sequences to look at.",
        sets.sum(1).mean(),
        int(table["look_at"].sum()),
        len(table),
    )


def sets_in_table(table: pd.DataFrame, names: list) -> np.ndarray:
    """(N, K) booleans of the ``prediction_set`` column ``add_prediction_sets`` wrote."""
    return np.array(
        [[n in cell.split("|") for n in names] for cell in table["prediction_set"]],
        dtype=bool,
    ).reshape(len(table), len(names))


def predict_test_sequences(
    predictor: dict,
    sequences: dict,
    params: dict[str, Any],
    inference: InferenceParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predict every validated test sequence, in input order (see
    ``predict_test_file``)."""
    device = resolve_device(inference.device, "inference.device")
    logger.info("Inference on %s.", describe_device(inference.device, device))
    started = time.perf_counter()
    with compute_settings(threads=inference.torch_threads, device=device):
        threshold = (
            None if inference.accept_unlike_training else inference.profile_threshold
        )
        if threshold is None:
            logger.warning(
                "inference.accept_unlike_training is true: the input is not compared "
                "with what the model was trained on."
            )
        labels, probs, class_names = predict(predictor, sequences, device, threshold)
        seconds = time.perf_counter() - started
        fold_probs = None
        if inference.coverage is not None:  # cross-conformal: the fold models' too
            fold_probs = fold_probabilities(predictor, sequences, device, threshold)
    ids = [str(i) for i in sequences["sample_ids"]]
    logger.info(
        "Predicted %d sequences in %.2f s (%.0f sequences/s).",
        len(ids),
        seconds,
        len(ids) / max(seconds, 1e-9),
    )
    id_col = params["id_column"]
    submission = pd.DataFrame({id_col: ids, "label": [class_names[k] for k in labels]})
    if inference.coverage is not None and predictor.get("calibration"):
        sets = sets_of(predictor, probs, inference.coverage, fold_probs)
        add_prediction_sets(submission, sets, class_names)
        _warn_of_classes_in_every_set(predictor, class_names, inference.coverage)
    elif inference.coverage is not None:
        logger.warning(
            "Model %s has no held-out calibration (fit_on_validation or calibrate "
            "false): no prediction sets; retrain it with calibrate true and a "
            "validation split, or set inference.coverage to null.",
            model_id(predictor),
        )
    probabilities = submission.copy()
    for k, name in enumerate(class_names):
        probabilities[f"p_{name}"] = probs[:, k]  # 6 significant digits (catalog)
    probabilities["model_id"] = model_id(predictor)  # which model wrote these
    logger.info("Predictions of model %s.", model_id(predictor))
    return submission, probabilities


def _warn_of_classes_in_every_set(predictor, class_names, coverage: float) -> None:
    """One warning naming the classes too rare among the held-out rows for any set
    at ``coverage`` to leave them out, and what to do."""
    few = never_ruled_out(predictor["calibration"], len(class_names), coverage)
    if few:
        logger.warning(
            "Prediction sets of model %s: every set holds the classes %s, which have "
            "fewer held-out calibration rows than the %d a set at "
            "inference.coverage %s needs to leave a class out; calibrate on "
            "out-of-fold rows (kedro run --pipeline=train "
            "--params=train.cross_validation.folds=5) or lower inference.coverage.",
            model_id(predictor),
            ", ".join(f"{class_names[k]} ({n} rows)" for k, n in few.items()),
            rows_to_rule_out(coverage),
            coverage,
        )


def score_test_calibration(
    predictor: dict,
    probabilities: pd.DataFrame,
    raw_labels: pd.DataFrame,
    params: dict[str, Any],
    inference: InferenceParams,
) -> dict:
    """How far the test probabilities can be trusted, where test labels exist: ECE,
    Brier score and reliability before and after calibration, and the empirical
    coverage per class of the prediction sets (``inference.coverage``, 0.9 when off).

    The test rows are held out from training and from the calibration, so these are
    the honest figures. Without labels or a calibration: ``{"scored": false}``.
    """
    calibration = predictor.get("calibration")
    if raw_labels.attrs.get("missing") or not calibration:
        return {"scored": False}
    id_col = params["id_column"]
    labelled = attach_labels({"sample_ids": probabilities[id_col]}, raw_labels, params)
    names = [str(c) for c in params["classes"]]
    after = probabilities[[f"p_{n}" for n in names]].to_numpy(np.float64)
    after /= after.sum(1, keepdims=True)
    before = uncalibrated(after, calibration)  # the stored ones are calibrated
    coverage = inference.coverage or 0.9
    y = labelled["y"]
    if "prediction_set" in probabilities:  # the sets the user got
        sets = sets_in_table(probabilities, names)
    elif "folds" in calibration["conformal"]:  # needs the fold models' predictions
        sets = None
    else:
        sets = sets_of(predictor, after, coverage)
    return {
        "scored": True,
        "model_id": model_id(predictor),
        "temperature": calibration["temperature"],
        "offsets": calibration["offsets"],
        "before": calibration_figures(before, y),
        "after": calibration_figures(after, y),
        "reliability_before": reliability_table(before, y),
        "reliability_after": reliability_table(after, y),
        "coverage": coverage,
        "sets": None if sets is None else coverage_table(sets, y, names),
    }


def explain_test_predictions(
    predictor: dict,
    raw_test: pd.DataFrame,
    probabilities: pd.DataFrame,
    params: dict[str, Any],
    inference: InferenceParams,
) -> dict:
    """Which columns and moments made each call (``inference.attributions``):
    integrated gradients of the predicted class, per class and per sequence
    (``modeling/attribution.py``). ``{"explained": false}`` when off."""
    if not inference.attributions:
        return {"explained": False, "reason": "inference.attributions is false"}
    sequences = validate_sequences(raw_test, params)
    names = [str(c) for c in params["classes"]]
    labels = np.asarray([names.index(v) for v in probabilities["label"]])
    probs = probabilities[[f"p_{n}" for n in names]].to_numpy(np.float64)
    look_at = probabilities.get("look_at")
    started = time.perf_counter()
    with compute_settings(threads=inference.torch_threads):
        explained = explain(predictor, sequences, labels, probs, look_at)
    explained["model_id"] = model_id(predictor)
    logger.info(
        "Attributions of %d sequences in %.1f s (members: %s).",
        len(labels),
        time.perf_counter() - started,
        ", ".join(explained.get("members", [])) or "none",
    )
    return explained
