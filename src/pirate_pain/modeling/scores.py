"""The scores every part of the project reports: macro F1 (scikit-learn's) and log
loss (scikit-learn's formula, in NumPy: temperature scaling evaluates it hundreds of
times per fit), with every class counted even where a split lacks one."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def macro_f1(y: np.ndarray, probs: np.ndarray) -> float:
    """Macro F1 of the argmax of ``probs`` (N, K) against ``y``."""
    labels = range(probs.shape[-1])
    return float(
        f1_score(y, probs.argmax(-1), average="macro", labels=labels, zero_division=0)
    )


def mean_log_loss(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean negative log probability of the true class (rows renormalised,
    probabilities clipped at the dtype's machine epsilon): ``sklearn.metrics.log_loss``
    with ``labels=range(K)``, to the last bit (``tests/modeling/test_calibration.py``)."""
    probs = probs / probs.sum(-1, keepdims=True)  # stored rounded: renormalise
    eps = np.finfo(probs.dtype).eps
    true = np.clip(probs, eps, 1 - eps)[np.arange(len(y)), np.asarray(y, dtype=int)]
    return float(np.mean(-np.log(true)))
