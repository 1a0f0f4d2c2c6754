"""Compile the ROCKET-family members' numba kernels once per machine.

aeon compiles MiniRocket's, MultiRocket's and RDST's kernels with ``cache=True``:
the first fit on a machine spends about 100 s compiling them and writes numba's
on-disk cache beside aeon's code, which every later process, Dask worker and run
loads. ``kedro warm-up`` pays that once, right after the install, by fitting each
member family on tiny univariate and multivariate inputs through the same ``fit``
the pipelines use (so the compiled signatures are the ones they need).
"""

from __future__ import annotations

import time

import numpy as np

from .config import ROCKET_KINDS, TrainConfig
from .training import fit


def tiny_input(channels: int, n: int = 12, steps: int = 16, seed: int = 0) -> dict:
    """A model input of ``n`` noise sequences in three classes (padding of ragged
    sequences makes them this shape too, so the kernels' signatures are the same)."""
    x = np.random.default_rng(seed).normal(size=(n, steps, channels))
    return {
        "x": x.astype(np.float32),
        "lengths": np.full(n, steps, dtype=np.int64),
        "y": np.arange(n) % 3,
        "static": np.zeros((n, 0), dtype=np.int64),
        "static_cardinalities": np.zeros(0, dtype=np.int64),
        "class_names": np.array(["a", "b", "c"]),
        "sample_ids": np.array([f"{row:03d}" for row in range(n)]),
    }


def warm_up(kinds: tuple[str, ...] = ROCKET_KINDS) -> dict[str, float]:
    """Fit and apply every member of ``kinds`` on one- and four-channel inputs.

    Returns:
        Seconds spent per member kind (near 0 once the cache is warm).
    """
    seconds = {}
    for kind in kinds:
        config = TrainConfig.from_params(
            {"seed": 0, "progress_bar": False, "model": {"backbone": kind}}
        )
        start = time.perf_counter()
        for channels in (1, 4):
            data = tiny_input(channels)
            fit(data, None, config).probabilities(data)
        seconds[kind] = time.perf_counter() - start
    return seconds
