"""Model artifacts: plain values and tensors only, so loading runs no code."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..errors import UserInputError
from .config import ModelConfig, TrainConfig
from .model import ModelShape, SequenceClassifier
from .training import FitResult

FORMAT = "pirate_pain.model/1"


def build_artifact(
    fitted: FitResult, config: TrainConfig, preprocessing: dict[str, Any]
) -> dict[str, Any]:
    """Everything inference needs: weights, configs and the fitted preprocessing."""
    return {
        "format": FORMAT,
        "train_config": config.to_dict(),
        "shape": asdict(fitted.shape),
        "state_dict": {
            k: v.detach().clone() for k, v in fitted.model.state_dict().items()
        },
        "preprocessing": preprocessing,
        "best_epoch": fitted.best_epoch,
        "best_val_macro_f1": fitted.best_val_macro_f1,
    }


def load_classifier(artifact: dict[str, Any]) -> tuple[SequenceClassifier, TrainConfig]:
    """Rebuild the model of an artifact, in eval mode."""
    if not isinstance(artifact, dict) or artifact.get("format") != FORMAT:
        raise UserInputError(
            "The model file was not written by this project version: retrain the model."
        )
    config = TrainConfig.from_params(artifact["train_config"])
    model = SequenceClassifier(
        ModelConfig(**asdict(config.model)), ModelShape(**artifact["shape"])
    )
    model.load_state_dict(artifact["state_dict"])
    model.eval()
    return model, config
