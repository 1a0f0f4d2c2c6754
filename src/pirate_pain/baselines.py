"""A strong non-deep baseline (aeon's MiniRocket) scored like the project's models."""

from __future__ import annotations

import time

import numpy as np

from .evaluation import classification_metrics
from .modeling.hydra import torch_state_kept
from .modeling.rocket import channels_first


def score_row(model: str, seed, y_true, y_pred, names, fit_s: float, predict_s: float):
    metrics = classification_metrics(y_true, y_pred, names)
    return {
        "model": model,
        "seed": seed,
        "macro_f1": metrics["macro_f1"],
        "accuracy": metrics["accuracy"],
        "fit_seconds": round(fit_s, 3),
        "predict_seconds": round(predict_s, 3),
    }


def minirocket_predict(
    train: dict, test: dict, seed: int, kind: str = "minirocket"
) -> tuple[np.ndarray, float, float]:
    """aeon's MiniRocket (or MultiRocket-Hydra, QUANT, RDST: ``kind``) on zero-padded
    channels-first arrays (N, C, T).

    Returns:
        Test predictions, fit seconds and predict seconds.
    """
    from aeon.classification.convolution_based import (
        MiniRocketClassifier,
        MultiRocketHydraClassifier,
    )
    from aeon.classification.interval_based import QUANTClassifier
    from aeon.classification.shapelet_based import RDSTClassifier

    steps = max(train["x"].shape[1], test["x"].shape[1])
    started = time.perf_counter()
    kinds = {
        "minirocket": MiniRocketClassifier,
        "multirocket_hydra": MultiRocketHydraClassifier,
        "quant": QUANTClassifier,
        "rdst": RDSTClassifier,
    }
    jobs = {} if kind == "quant" else {"n_jobs": 1}  # QUANT has no n_jobs
    classifier = kinds[kind](random_state=seed, **jobs)
    with torch_state_kept():  # Hydra sets torch's seed and thread count
        classifier.fit(channels_first(train["x"], steps), train["y"])
        fitted = time.perf_counter()
        predicted = classifier.predict(channels_first(test["x"], steps)).astype(int)
    return predicted, fitted - started, time.perf_counter() - fitted


def minirocket_row(
    train: dict, test: dict, seed: int, names: list[str], kind: str = "minirocket"
) -> dict:
    """A benchmark row for MiniRocket (or MultiRocket-Hydra) fitted on ``train`` and
    scored on ``test``."""
    predicted, fit_s, predict_s = minirocket_predict(train, test, seed, kind)
    return score_row(kind, seed, test["y"], predicted, names, fit_s, predict_s)
