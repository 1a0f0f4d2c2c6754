"""Hydra's part of a MultiRocket-Hydra member, through aeon's public API only.

aeon's ``HydraTransformer`` draws its kernels in ``fit`` from torch's generator
seeded with ``random_state`` and reads nothing of the input but its shape, so a
member stores the seed and the shape and refits the transform on load. A probe
(the features of a fixed input) is stored too: should another torch draw other
kernels from the same seed, loading says so instead of predicting differently.
The feature scaler is aeon's Hydra scaler, written out here (aeon keeps it private).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from ..errors import UserInputError


@contextmanager
def torch_state_kept():
    """aeon's Hydra seeds torch's global generator and sets torch's thread count
    when fitted; put both back so later training in this process is unaffected."""
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.random.set_rng_state(rng)


class HydraFeatureScaler:
    """Square root, then standardised where the count is not zero (aeon's
    MultiRocket-Hydra classifier scales Hydra's counts this way)."""

    def __init__(self, exponent: int = 4) -> None:
        self.exponent = exponent

    def fit(self, features: torch.Tensor) -> HydraFeatureScaler:
        root = features.clamp(0).sqrt()
        self.epsilon = (root == 0).float().mean(0) ** self.exponent + 1e-8
        self.mu = root.mean(0)
        self.sigma = root.std(0) + self.epsilon
        return self

    def transform(self, features: torch.Tensor) -> torch.Tensor:
        root = features.clamp(0).sqrt()
        return ((root - self.mu) * (root != 0)) / self.sigma

    def state(self) -> dict[str, torch.Tensor]:
        return {"mu": self.mu, "sigma": self.sigma, "epsilon": self.epsilon}

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor]) -> HydraFeatureScaler:
        scaler = cls()
        scaler.mu, scaler.sigma, scaler.epsilon = (
            state["mu"],
            state["sigma"],
            state["epsilon"],
        )
        return scaler


def _probe(channels: int, steps: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2, channels, steps))


def hydra_transform(seed: int, channels: int, steps: int):
    """aeon's ``HydraTransformer`` fitted for this seed and input shape."""
    from aeon.transformations.collection.convolution_based import HydraTransformer

    transform = HydraTransformer(random_state=seed, n_jobs=1)
    with torch_state_kept():
        transform.fit(np.zeros((1, channels, steps)))
    return transform


def transform(fitted_transform, x: np.ndarray) -> torch.Tensor:
    with torch_state_kept():
        return fitted_transform.transform(x)


def fit_hydra(x: np.ndarray, seed: int) -> tuple[dict[str, Any], Any, np.ndarray]:
    """Hydra on ``x`` (N, C, T): its stored settings, the fitted transform and the
    scaled training features."""
    channels, steps = x.shape[1], x.shape[2]
    fitted = hydra_transform(seed, channels, steps)
    counts = transform(fitted, x)  # once: the scaler is fitted on and scales them
    scaler = HydraFeatureScaler().fit(counts)
    settings = {
        "seed": seed,
        "channels": channels,
        "steps": steps,
        "probe": transform(fitted, _probe(channels, steps)),
        "scaler": scaler.state(),
    }
    return settings, fitted, scaler.transform(counts).numpy()


def load_hydra(settings: dict[str, Any]):
    """The transform of stored settings; one sentence if its kernels differ."""
    channels, steps = settings["channels"], settings["steps"]
    fitted = hydra_transform(settings["seed"], channels, steps)
    if not torch.equal(transform(fitted, _probe(channels, steps)), settings["probe"]):
        raise UserInputError(
            f"Hydra's kernels drawn from seed {settings['seed']} differ from those "
            "the MultiRocket-Hydra member was trained with (another torch or aeon "
            "version): retrain it with this environment."
        )
    return fitted


def hydra_features(fitted_transform, settings: dict[str, Any], x) -> np.ndarray:
    scaler = HydraFeatureScaler.from_state(settings["scaler"])
    return scaler.transform(transform(fitted_transform, x)).numpy()
