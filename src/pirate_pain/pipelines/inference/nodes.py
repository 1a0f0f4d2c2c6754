"""Inference: labels for a test file, from a model or an ensemble artifact."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from ...modeling.artifacts import model_id
from ...modeling.predict import predict
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
    ids = [str(i) for i in sequences["sample_ids"]]
    logger.info(
        "Predicted %d sequences in %.2f s (%.0f sequences/s).",
        len(ids),
        seconds,
        len(ids) / max(seconds, 1e-9),
    )
    id_col = params["id_column"]
    submission = pd.DataFrame({id_col: ids, "label": [class_names[k] for k in labels]})
    probabilities = submission.copy()
    for k, name in enumerate(class_names):
        probabilities[f"p_{name}"] = np.round(probs[:, k], 6)
    probabilities["model_id"] = model_id(predictor)  # which model wrote these
    logger.info("Predictions of model %s.", model_id(predictor))
    return submission, probabilities
