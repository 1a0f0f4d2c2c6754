"""Tiny model inputs with a learnable signal, shared by CPU and GPU tests.

Needs only numpy (no Kedro), so the GPU tests can use it on a machine without Kedro.
"""

from __future__ import annotations

import numpy as np


def model_input(
    n: int = 30, steps: int = 10, seed: int = 0, ragged: bool = False
) -> dict:
    """Three unbalanced classes; class k shifts channel 0 by k."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * (n - n // 3 - n // 6) + [1] * (n // 3) + [2] * (n // 6))
    x = rng.normal(size=(n, steps, 4)).astype(np.float32)
    x[:, :, 0] += y[:, None]  # a learnable signal
    lengths = rng.integers(3, steps + 1, n) if ragged else np.full(n, steps)
    for i, length in enumerate(lengths):
        x[i, length:] = 0
    return {
        "x": x,
        "lengths": lengths.astype(np.int64),
        "y": y,
        "static": np.ones((n, 1), dtype=np.int64),
        "static_cardinalities": np.array([3]),
        "class_names": np.array(["a", "b", "c"]),
        "sample_ids": np.array([f"{i:03d}" for i in range(n)]),
    }
