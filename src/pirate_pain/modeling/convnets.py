"""ResNet and InceptionTime backbones (Fawaz et al. 2019, 2020), ragged-safe.

Both map (B, F, T) to (B, C, T). Padded steps are zeroed before every convolution,
left out of batch statistics (``MaskedBatchNorm``) and of max pooling, so a ragged
sequence gives the same result as it would alone. Kernels are odd ('same' padding
is then symmetric): ResNet uses 7 / 5 / 3 where the paper has 8 / 5 / 3.
"""

from __future__ import annotations

import torch
from torch import nn


class MaskedBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d whose batch statistics count only the true (unpadded) steps."""

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        if not self.training:  # running statistics: no step depends on another
            return super().forward(h)
        h = h.float()  # statistics in fp32, also under autocast
        count = keep.sum().clamp(min=2)
        mean = (h * keep).sum(dim=(0, 2)) / count  # (C,)
        var = (((h - mean[None, :, None]) ** 2) * keep).sum(dim=(0, 2)) / count
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * mean)
            self.running_var.mul_(1 - m).add_(m * var * count / (count - 1))
            self.num_batches_tracked += 1
        scale = self.weight / torch.sqrt(var + self.eps)
        return (h - mean[None, :, None]) * scale[None, :, None] + self.bias[
            None, :, None
        ]


def _same_conv(in_dim: int, out_dim: int, kernel: int, bias: bool = False) -> nn.Conv1d:
    return nn.Conv1d(in_dim, out_dim, kernel, padding=kernel // 2, bias=bias)


class ResidualBlock(nn.Module):
    """Three conv + BN (+ ReLU) layers and a 1x1-conv shortcut."""

    def __init__(self, in_dim: int, channels: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            _same_conv(in_dim if i == 0 else channels, channels, k)
            for i, k in enumerate((7, 5, 3))
        )
        self.norms = nn.ModuleList(MaskedBatchNorm(channels) for _ in range(3))
        self.shortcut = _same_conv(in_dim, channels, 1)
        self.shortcut_norm = MaskedBatchNorm(channels)

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        out = h
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            out = norm(conv(out * keep), keep)  # (B, C, T)
            if i < 2:
                out = torch.relu(out)
        skip = self.shortcut_norm(self.shortcut(h * keep), keep)
        return torch.relu(out + skip) * keep


class ResNet(nn.Module):
    """Three residual blocks of ``filters``, 2 x, 2 x channels."""

    def __init__(self, in_dim: int, filters: int) -> None:
        super().__init__()
        widths = [filters, 2 * filters, 2 * filters]
        self.blocks = nn.ModuleList(
            ResidualBlock(w_in, w_out)
            for w_in, w_out in zip([in_dim, *widths[:-1]], widths, strict=True)
        )
        self.out_dim = widths[-1]

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            h = block(h, keep)
        return h  # (B, 2 * filters, T)


class InceptionModule(nn.Module):
    """Bottleneck, three wide kernels and a max-pool branch, concatenated."""

    def __init__(self, in_dim: int, filters: int, kernels=(39, 19, 9)) -> None:
        super().__init__()
        self.bottleneck = _same_conv(in_dim, filters, 1) if in_dim > 1 else None
        width = filters if self.bottleneck is not None else in_dim
        self.branches = nn.ModuleList(_same_conv(width, filters, k) for k in kernels)
        self.pool_conv = _same_conv(in_dim, filters, 1)
        self.norm = MaskedBatchNorm(filters * (len(kernels) + 1))
        self.out_dim = filters * (len(kernels) + 1)

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        h = h * keep
        narrow = self.bottleneck(h) * keep if self.bottleneck is not None else h
        parts = [conv(narrow) for conv in self.branches]
        # padded steps must never win the max: fill them with the lowest value
        low = torch.finfo(h.dtype).min
        pooled = nn.functional.max_pool1d(
            h.masked_fill(keep == 0, low), 3, stride=1, padding=1
        )
        parts.append(self.pool_conv(pooled.masked_fill(keep == 0, 0.0)))
        return torch.relu(self.norm(torch.cat(parts, dim=1), keep)) * keep


class InceptionTime(nn.Module):
    """``depth`` Inception modules with a residual connection every third one."""

    def __init__(self, in_dim: int, filters: int, depth: int) -> None:
        super().__init__()
        self.modules_ = nn.ModuleList()
        self.shortcuts = nn.ModuleList()
        width, residual_in = in_dim, in_dim
        for i in range(depth):
            module = InceptionModule(width, filters)
            self.modules_.append(module)
            width = module.out_dim
            if i % 3 == 2:
                self.shortcuts.append(
                    nn.ModuleList(
                        [_same_conv(residual_in, width, 1), MaskedBatchNorm(width)]
                    )
                )
                residual_in = width
        self.out_dim = width

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        residual, shortcut = h, iter(self.shortcuts)
        for i, module in enumerate(self.modules_):
            h = module(h, keep)
            if i % 3 == 2:
                conv, norm = next(shortcut)
                h = torch.relu(h + norm(conv(residual * keep), keep)) * keep
                residual = h
        return h  # (B, 4 * filters, T)
