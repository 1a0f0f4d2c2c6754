"""Model artifacts: plain values and tensors only, so loading runs no code."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from ..errors import UserInputError
from .config import TrainConfig
from .model import ModelShape, SequenceClassifier
from .rocket import RocketFit, rocket_artifact
from .training import FitResult

FORMAT = "pirate_pain.model/1"


def build_artifact(
    fitted: FitResult | RocketFit, config: TrainConfig, preprocessing: dict[str, Any]
) -> dict[str, Any]:
    """Everything inference needs: weights, configs and the fitted preprocessing,
    and ``model_id``, a content hash that every file describing the model names."""
    if isinstance(fitted, RocketFit):
        return rocket_artifact(fitted, config, preprocessing)
    # tensors on the CPU: a model trained on a GPU loads anywhere
    state = {k: v.detach().cpu().clone() for k, v in fitted.model.state_dict().items()}
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    for name, tensor in sorted(state.items()):
        digest.update(name.encode())
        digest.update(tensor.cpu().contiguous().numpy().tobytes())
    if fitted.decision is not None:
        digest.update(json.dumps(fitted.decision, sort_keys=True).encode())
    return {
        "format": FORMAT,
        "model_id": digest.hexdigest()[:12],
        "train_config": config.to_dict(),
        "shape": asdict(fitted.shape),
        "state_dict": state,
        "preprocessing": preprocessing,
        "best_epoch": fitted.best_epoch,
        "best_val_macro_f1": fitted.best_val_macro_f1,
        "decision": fitted.decision,
        "history": fitted.history,  # per-epoch curves (tracking, reports)
    }


def model_id(predictor: dict[str, Any]) -> str:
    """The content hash of a model artifact, or of an ensemble (its members, vote)."""
    if "members" in predictor:
        ids = [model_id(m) for m in predictor["members"]]
        key = json.dumps([ids, predictor.get("vote")]).encode()
        return hashlib.sha256(key).hexdigest()[:12]
    return str(predictor.get("model_id", "unknown"))


def load_classifier(artifact: dict[str, Any]) -> tuple[SequenceClassifier, TrainConfig]:
    """Rebuild the model of an artifact, in eval mode."""
    if not isinstance(artifact, dict) or artifact.get("format") != FORMAT:
        raise UserInputError(
            "The model file was not written by this project version: retrain the model."
        )
    config = TrainConfig.from_params(artifact["train_config"])
    model = SequenceClassifier(config.model, ModelShape(**artifact["shape"]))
    model.load_state_dict(artifact["state_dict"])
    model.eval()
    return model, config
