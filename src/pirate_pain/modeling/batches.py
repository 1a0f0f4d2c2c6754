"""Model inputs as tensors: whole sequences or windows, epoch order, augmentation.

One fit moves its tensors to the device once (``Batches.to``); batches are then
indexed where the data lives, with no per-batch copies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from .config import AugmentationConfig, WindowConfig
from .model import step_mask


@dataclass
class Batches:
    """Model input as tensors; ``parent`` maps windows back to their sequence."""

    x: torch.Tensor  # (N, T, F)
    lengths: torch.Tensor  # (N,)
    static: torch.Tensor  # (N, S)
    y: torch.Tensor  # (N,)
    parent: np.ndarray  # (N,)
    n_sequences: int

    def take(self, index: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.x[index], self.lengths[index], self.static[index], self.y[index]

    def to(self, device: torch.device) -> Batches:
        """The same batches with every tensor on ``device`` (copied once)."""
        return replace(
            self,
            x=self.x.to(device),
            lengths=self.lengths.to(device),
            static=self.static.to(device),
            y=self.y.to(device),
        )


def make_batches(data: dict, window: WindowConfig) -> Batches:
    """Tensors of whole sequences, or of windows that respect true lengths.

    A sequence shorter than the window gives one (padded) window; the last
    window is aligned to the sequence end so no step is left out.
    """
    x, lengths = data["x"], np.asarray(data["lengths"])
    static, y = data["static"], data["y"]
    n = len(lengths)
    if window.length <= 0:
        return Batches(
            torch.as_tensor(x, dtype=torch.float32),
            torch.as_tensor(lengths),
            torch.as_tensor(static),
            torch.as_tensor(y),
            np.arange(n),
            n,
        )
    size, stride = window.length, window.stride or window.length
    rows, starts, win_lengths = [], [], []
    for i, length in enumerate(lengths):
        if length <= size:
            begin = [0]
        else:
            begin = list(range(0, length - size + 1, stride))
            if begin[-1] != length - size:
                begin.append(length - size)
        rows += [i] * len(begin)
        starts += begin
        win_lengths += [min(size, length)] * len(begin)
    out = np.zeros((len(rows), size, x.shape[2]), dtype=np.float32)
    for k, (i, s, w) in enumerate(zip(rows, starts, win_lengths)):
        out[k, :w] = x[i, s : s + w]
    rows = np.asarray(rows)
    return Batches(
        torch.as_tensor(out),
        torch.as_tensor(np.asarray(win_lengths, dtype=np.int64)),
        torch.as_tensor(static[rows]),
        torch.as_tensor(y[rows]),
        rows,
        n,
    )


def epoch_order(
    batches: Batches, method: str, n_classes: int, generator: torch.Generator
) -> torch.Tensor:
    """Sample order for one epoch, with minority oversampling when configured
    (computed on the CPU with the fit's generator, so every device draws alike)."""
    n = len(batches.y)
    if method == "none":
        return torch.randperm(n, generator=generator)
    counts = torch.bincount(batches.y, minlength=n_classes).clamp(min=1).float()
    if method == "weighted_sampler":
        weights = (1.0 / counts)[batches.y]
        return torch.multinomial(weights, n, replacement=True, generator=generator)
    # replicate: repeat each class's samples up to the majority count
    target = int(counts.max())
    parts = []
    for c in range(n_classes):
        members = torch.nonzero(batches.y == c).squeeze(1)
        if len(members):
            reps = -(-target // len(members))
            parts.append(members.repeat(reps)[:target])
    order = torch.cat(parts)
    return order[torch.randperm(len(order), generator=generator)]


def augment(
    x: torch.Tensor,
    lengths: torch.Tensor,
    config: AugmentationConfig,
    generator: torch.Generator,
) -> torch.Tensor:
    """Jitter and per-channel scaling of a training batch, true steps only."""
    if config.jitter_std <= 0 and config.scale_std <= 0:
        return x
    batch, steps, width = x.shape
    keep = step_mask(lengths, steps).unsqueeze(-1)  # (B, T, 1)
    # the generator lives on the batch's device
    draw = {"generator": generator, "device": x.device}
    scale = 1 + config.scale_std * torch.randn(batch, 1, width, **draw)
    noise = config.jitter_std * torch.randn(x.shape, **draw)
    return (x * scale + noise) * keep
