"""Model artifacts: plain values and tensors only, so loading runs no code."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .classifier import Classifier
from .config import TrainConfig
from .model import SequenceClassifier
from .network import FORMAT, load_network

__all__ = ["FORMAT", "build_artifact", "load_classifier", "model_id"]


def build_artifact(
    fitted: Classifier, config: TrainConfig, preprocessing: dict[str, Any]
) -> dict[str, Any]:
    """Everything inference needs: weights, configs and the fitted preprocessing,
    and ``model_id``, a content hash that every file describing the model names."""
    return fitted.to_artifact(config, preprocessing)


def model_id(predictor: dict[str, Any]) -> str:
    """The content hash of a model artifact, or of an ensemble (its members, vote)."""
    if "members" in predictor:
        ids = [model_id(m) for m in predictor["members"]]
        key = json.dumps([ids, predictor.get("vote")]).encode()
        return hashlib.sha256(key).hexdigest()[:12]
    return str(predictor.get("model_id", "unknown"))


def load_classifier(artifact: dict[str, Any]) -> tuple[SequenceClassifier, TrainConfig]:
    """Rebuild the network of a network artifact, in eval mode."""
    return load_network(artifact)
