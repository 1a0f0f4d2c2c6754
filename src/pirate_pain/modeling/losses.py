"""Imbalance-aware losses: class weights, label smoothing and focal loss, combinable."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .config import LossConfig


def class_weights(labels: np.ndarray, n_classes: int, config: LossConfig) -> np.ndarray:
    """Per-class weights normalised to mean 1.

    ``inverse``: 1 / count. ``effective``: (1 - beta) / (1 - beta^count)
    (Cui et al., 2019). A list: taken as given. ``none``: all ones.
    """
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    counts = np.maximum(counts, 1.0)
    mode = config.class_weights
    if isinstance(mode, list | tuple):
        weights = np.asarray(mode, dtype=np.float64)
    elif mode == "inverse":
        weights = 1.0 / counts
    elif mode == "effective":
        beta = config.effective_beta
        weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    else:
        weights = np.ones(n_classes)
    return weights / weights.mean() if weights.mean() > 0 else weights


class SequenceLoss(nn.Module):
    """Cross entropy with weights and smoothing, optionally focal.

    Focal: each sample's (smoothed, weighted) cross entropy is scaled by
    ``alpha[y] * (1 - p_y) ** gamma``, so easy majority samples count less.
    """

    def __init__(self, weights: np.ndarray, config: LossConfig) -> None:
        super().__init__()
        self.register_buffer("weight", torch.as_tensor(weights, dtype=torch.float32))
        alpha = config.focal_alpha
        self.register_buffer(
            "alpha",
            torch.as_tensor(alpha, dtype=torch.float32) if alpha is not None else None,
        )
        self.gamma = config.focal_gamma
        self.smoothing = config.label_smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.gamma == 0 and self.alpha is None:
            return F.cross_entropy(
                logits, target, weight=self.weight, label_smoothing=self.smoothing
            )
        per_sample = F.cross_entropy(
            logits,
            target,
            weight=self.weight,
            label_smoothing=self.smoothing,
            reduction="none",
        )
        p_true = torch.softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
        factor = (1.0 - p_true).clamp(min=0).pow(self.gamma)
        if self.alpha is not None:
            factor = factor * self.alpha[target]
        return (factor * per_sample).sum() / self.weight[target].sum()


def weight_penalty(model: nn.Module, l1: float, l2: float) -> torch.Tensor | float:
    """Explicit L1 / L2 penalty on weight matrices (biases and norms excluded)."""
    if l1 == 0 and l2 == 0:
        return 0.0
    total = 0.0
    for name, param in model.named_parameters():
        if param.ndim < 2 or "bias" in name:
            continue
        if l1:
            total = total + l1 * param.abs().sum()
        if l2:
            total = total + l2 * param.pow(2).sum()
    return total
