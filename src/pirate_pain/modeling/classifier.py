"""The one classifier interface: what pipelines, ensembles, selection, serving and
tracking see of a fitted model, whatever its family.

Two families implement it: PyTorch networks (``network.FitResult``, trained by
``training.fit``'s loop) and ROCKET-family members (``rocket.RocketFit``, aeon's
transforms and a calibrated ridge). ``training.fit`` makes one from a training
configuration; ``from_artifact`` rebuilds one from its saved artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import UserInputError
from .config import TrainConfig


@runtime_checkable
class Classifier(Protocol):
    """A fitted classifier of sequences (model inputs, ``data.py``)."""

    history: list[dict]  # one record per epoch (one for a single-step fit)
    best_epoch: int
    best_val_macro_f1: float | None
    decision: dict | None  # the fitted macro_f1 rule (decision.py), or None

    def probabilities(
        self, data: dict, window=None, decision: bool = True, device=None
    ) -> np.ndarray:
        """(N, K) class probabilities, the decision rule applied unless
        ``decision`` is false."""
        ...

    def to_artifact(
        self, config: TrainConfig, preprocessing: dict[str, Any]
    ) -> dict[str, Any]:
        """The safe artifact: plain values and tensors (no code runs on load),
        with a ``model_id`` content hash."""
        ...


def _loaders() -> dict[str, Callable[[dict[str, Any]], Classifier]]:
    from . import network, rocket

    return {
        network.FORMAT: network.FitResult.from_artifact,
        rocket.FORMAT: rocket.RocketFit.from_artifact,
    }


def from_artifact(artifact: dict[str, Any]) -> Classifier:
    """The classifier saved in ``artifact`` (its ``format`` names the family)."""
    loader = (
        _loaders().get(artifact.get("format")) if isinstance(artifact, dict) else None
    )
    if loader is None:
        raise UserInputError(
            "The model file was not written by this project version: retrain the model."
        )
    return loader(artifact)
