"""A fitted PyTorch network as a classifier (``classifier.Classifier``): class
probabilities on a model input, and the artifact it is saved as (plain values and
tensors, loaded with ``weights_only=True``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from ..errors import UserInputError
from .batches import Batches, make_batches
from .config import TrainConfig
from .decision import apply_decision
from .model import ModelShape, SequenceClassifier
from .runtime import autocast

FORMAT = "pirate_pain.model/1"


def predict_proba(
    model: SequenceClassifier,
    batches: Batches,
    batch_size: int = 512,
    device: torch.device | None = None,
    precision: str = "fp32",
) -> np.ndarray:
    """Class probabilities (n_sequences, K); windows are averaged per sequence.

    Runs where the model's parameters are (``device``: move the model there first).
    """
    device = device or next(model.parameters()).device
    model.to(device).eval()
    on_device = batches.to(device)
    outputs = []
    with torch.no_grad(), autocast(device, precision):
        for start in range(0, len(on_device.y), batch_size):
            index = torch.arange(
                start, min(start + batch_size, len(on_device.y)), device=device
            )
            x, lengths, static, _ = on_device.take(index)
            logits = model(x, lengths, static).float()
            outputs.append(torch.softmax(logits, dim=1))
    probs = torch.cat(outputs).cpu().numpy()
    if (
        len(probs) == batches.n_sequences
        and (batches.parent == np.arange(len(probs))).all()
    ):
        return probs
    summed = np.zeros((batches.n_sequences, probs.shape[1]))
    np.add.at(summed, batches.parent, probs)
    counts = np.bincount(batches.parent, minlength=batches.n_sequences)[:, None]
    return summed / np.maximum(counts, 1)


@dataclass
class FitResult:
    """A trained network, its shape and history (the network family)."""

    model: SequenceClassifier
    shape: ModelShape
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_macro_f1: float | None = None
    decision: dict | None = None  # the fitted macro_f1 rule (decision.py), or None
    window: Any = None  # the training config's window (set by fit and on load)

    def probabilities(
        self,
        data: dict,
        window=None,
        decision: bool = True,
        device: torch.device | None = None,
    ) -> np.ndarray:
        """(N, K) probabilities on ``data``, the decision rule applied (``decision``:
        false gives the model's own)."""
        batches = make_batches(data, window if window is not None else self.window)
        probs = predict_proba(self.model, batches, device=device)
        return apply_decision(probs, self.decision) if decision else probs

    def to_artifact(
        self, config: TrainConfig, preprocessing: dict[str, Any]
    ) -> dict[str, Any]:
        """Weights, configs, the fitted preprocessing and ``model_id``, a content
        hash that every file describing the model names."""
        # tensors on the CPU: a model trained on a GPU loads anywhere
        state = {
            k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()
        }
        digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
        for name, tensor in sorted(state.items()):
            digest.update(name.encode())
            digest.update(tensor.cpu().contiguous().numpy().tobytes())
        if self.decision is not None:
            digest.update(json.dumps(self.decision, sort_keys=True).encode())
        return {
            "format": FORMAT,
            "model_id": digest.hexdigest()[:12],
            "train_config": config.to_dict(),
            "shape": asdict(self.shape),
            "state_dict": state,
            "preprocessing": preprocessing,
            "best_epoch": self.best_epoch,
            "best_val_macro_f1": self.best_val_macro_f1,
            "decision": self.decision,
            "history": self.history,  # per-epoch curves (tracking, reports)
        }

    @classmethod
    def from_artifact(cls, artifact: dict[str, Any]) -> FitResult:
        """The network of an artifact, in eval mode on the CPU."""
        model, config = load_network(artifact)
        return cls(
            model=model,
            shape=ModelShape(**artifact["shape"]),
            history=artifact.get("history") or [],
            best_epoch=artifact.get("best_epoch", 0),
            best_val_macro_f1=artifact.get("best_val_macro_f1"),
            decision=artifact.get("decision"),
            window=config.window,
        )


def load_network(artifact: dict[str, Any]) -> tuple[SequenceClassifier, TrainConfig]:
    """Rebuild the network of an artifact, in eval mode."""
    if not isinstance(artifact, dict) or artifact.get("format") != FORMAT:
        raise UserInputError(
            "The model file was not written by this project version: retrain the model."
        )
    config = TrainConfig.from_params(artifact["train_config"])
    model = SequenceClassifier(config.model, ModelShape(**artifact["shape"]))
    model.load_state_dict(artifact["state_dict"])
    model.eval()
    return model, config
