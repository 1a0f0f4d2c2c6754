"""The scores every part of the project reports: macro F1 and log loss, both
scikit-learn's, with every class counted even where a split lacks one."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, log_loss


def macro_f1(y: np.ndarray, probs: np.ndarray) -> float:
    """Macro F1 of the argmax of ``probs`` (N, K) against ``y``."""
    labels = range(probs.shape[-1])
    return float(
        f1_score(y, probs.argmax(-1), average="macro", labels=labels, zero_division=0)
    )


def mean_log_loss(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean negative log probability of the true class (rows renormalised,
    probabilities clipped at the dtype's machine epsilon)."""
    probs = probs / probs.sum(-1, keepdims=True)  # stored rounded: renormalise
    return float(log_loss(y, probs, labels=range(probs.shape[-1])))
