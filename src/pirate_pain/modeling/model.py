"""The recurrent sequence classifier, readable top to bottom.

input (B, T, F) + per-sequence categoricals (B, S)
  -> categoricals broadcast to every step        (B, T, F + E)
  -> optional Conv1D front end (+ batch norm)    (B, T, C)
     and average pooling by conv_pool            (B, T / pool, C)
  -> RNN / LSTM / GRU, uni- or bidirectional     (B, T, H * D)
     (cell "none": no recurrent core, a fully convolutional network)
  -> head: last state, masked mean or attention  (B, H * D)
  -> dropout + linear                            (B, K)
or, with ``model.backbone`` resnet / inception (``convnets.py``):
  -> ResNet or InceptionTime                     (B, C, T)
  -> masked mean over true steps, dropout, linear (B, K)
Padded steps never reach the result: packed sequences in the recurrent core,
masks in convolutions, batch norm, pooling and attention.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .config import ModelConfig
from .convnets import InceptionTime, MaskedBatchNorm, ResNet

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class ModelShape:
    """What the data dictates: input width, class count, categorical sizes."""

    n_features: int
    n_classes: int
    static_cardinalities: list[int] = field(default_factory=list)


def step_mask(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """(B, T) boolean mask of the true (unpadded) steps."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


class StaticFeatures(nn.Module):
    """Per-sequence categorical codes -> a vector: embeddings or one-hot."""

    def __init__(self, cardinalities: list[int], embedding_dim: int) -> None:
        super().__init__()
        self.cardinalities = list(cardinalities)
        self.embeddings = nn.ModuleList(
            nn.Embedding(n, embedding_dim) for n in cardinalities if embedding_dim > 0
        )
        self.out_dim = (
            embedding_dim * len(cardinalities) if embedding_dim else sum(cardinalities)
        )

    def forward(self, static: torch.Tensor) -> torch.Tensor:  # (B, S) -> (B, E)
        if self.embeddings:
            parts = [emb(static[:, s]) for s, emb in enumerate(self.embeddings)]
        else:
            parts = [
                nn.functional.one_hot(static[:, s], n).float()
                for s, n in enumerate(self.cardinalities)
            ]
        return torch.cat(parts, dim=1)


class ConvFrontEnd(nn.Module):
    """Stacked Conv1D (+ batch norm) + ReLU over time; 'same' padding keeps T, then an
    optional average pooling by ``pool`` shortens it to ceil(T / pool).

    Padded steps are zeroed before every layer, left out of the batch statistics and
    of the pooled averages, so a ragged sequence sees the same zeros past its end as
    it would alone.
    """

    def __init__(
        self,
        in_dim: int,
        channels: int,
        kernel: int,
        layers: int,
        batch_norm: bool,
        pool: int = 1,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Conv1d(
                in_dim if i == 0 else channels, channels, kernel, padding=kernel // 2
            )
            for i in range(layers)
        )
        self.norms = nn.ModuleList(
            MaskedBatchNorm(channels) for _ in range(layers if batch_norm else 0)
        )
        self.pool = pool

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, F) -> (B, T', C) and the new lengths (T' = ceil(T / pool))."""
        keep = mask.unsqueeze(1).to(x.dtype)  # (B, 1, T)
        h = x.transpose(1, 2)  # (B, F, T)
        for i, conv in enumerate(self.layers):
            h = conv(h * keep)  # (B, C, T)
            if self.norms:
                h = self.norms[i](h, keep)
            h = torch.relu(h)
        h = h * keep
        if self.pool > 1:  # mean of the true steps of each window
            extra = -h.shape[2] % self.pool
            h = nn.functional.pad(h, (0, extra))
            keep = nn.functional.pad(keep, (0, extra))
            batch, channels, steps = h.shape
            windows = steps // self.pool
            summed = h.reshape(batch, channels, windows, self.pool).sum(-1)
            count = keep.reshape(batch, 1, windows, self.pool).sum(-1)
            h = summed / count.clamp(min=1)  # (B, C, T')
            lengths = torch.div(
                lengths + self.pool - 1, self.pool, rounding_mode="floor"
            )
        return h.transpose(1, 2), lengths  # (B, T', C)


class AttentionPooling(nn.Module):
    """Additive attention over time steps, padded steps masked out."""

    def __init__(self, in_dim: int, attention_size: int) -> None:
        super().__init__()
        self.score = nn.Sequential(
            nn.Linear(in_dim, attention_size), nn.Tanh(), nn.Linear(attention_size, 1)
        )

    def forward(self, outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = self.score(outputs).squeeze(-1)  # (B, T)
        # the lowest finite value, not -inf: safe in half precision too
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=1).unsqueeze(-1)  # (B, T, 1)
        return (weights * outputs).sum(dim=1)  # (B, H * D)


class SequenceClassifier(nn.Module):
    """Sequence classifier; see the module docstring for the data flow."""

    def __init__(self, config: ModelConfig, shape: ModelShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        self.static = StaticFeatures(
            shape.static_cardinalities, config.static_embedding_dim
        )
        in_dim = shape.n_features + self.static.out_dim
        self.backbone = None
        if config.backbone == "resnet":
            self.backbone = ResNet(in_dim, config.backbone_filters)
        elif config.backbone == "inception":
            self.backbone = InceptionTime(
                in_dim, config.backbone_filters, config.inception_depth
            )
        if self.backbone is not None:  # conv features, masked mean pooling
            self.conv = self.rnn = self.attention = None
            self.dropout = nn.Dropout(config.dropout)
            self.classifier = nn.Linear(self.backbone.out_dim, shape.n_classes)
            return
        self.conv = None
        if config.conv_channels > 0:
            self.conv = ConvFrontEnd(
                in_dim,
                config.conv_channels,
                config.conv_kernel_size,
                config.conv_layers,
                config.conv_batch_norm,
                config.conv_pool,
            )
            in_dim = config.conv_channels
        self.rnn = None
        out_dim = in_dim
        if config.cell != "none":
            self.rnn = CELLS[config.cell](
                input_size=in_dim,
                hidden_size=config.hidden_size,
                num_layers=config.num_layers,
                bidirectional=config.bidirectional,
                dropout=config.dropout if config.num_layers > 1 else 0.0,
                batch_first=True,
            )
            out_dim = config.hidden_size * (2 if config.bidirectional else 1)
        self.attention = (
            AttentionPooling(out_dim, config.attention_size)
            if config.head == "attention"
            else None
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(out_dim, shape.n_classes)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, static: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, K) for inputs x (B, T, F), lengths (B,), static (B, S)."""
        batch, steps, _ = x.shape
        if self.static.cardinalities:
            extra = self.static(static).unsqueeze(1).expand(batch, steps, -1)
            x = torch.cat([x, extra], dim=2)  # (B, T, F + E)
        mask = step_mask(lengths, steps)  # (B, T)
        if self.backbone is not None:
            keep = mask.unsqueeze(1).to(x.dtype)  # (B, 1, T)
            h = self.backbone(x.transpose(1, 2), keep)  # (B, C, T)
            pooled = h.sum(dim=2) / lengths.clamp(min=1).unsqueeze(-1).to(h.dtype)
            return self.classifier(self.dropout(pooled))  # (B, K)
        if self.conv is not None:
            x, lengths = self.conv(x, mask, lengths)  # (B, T', C)
            steps = x.shape[1]
            mask = step_mask(lengths, steps)
        ragged = bool((lengths < steps).any())
        if self.rnn is None:  # fully convolutional: pool the conv features
            outputs = x
        elif ragged:
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            packed_out, hidden = self.rnn(packed)
            outputs, _ = pad_packed_sequence(
                packed_out, batch_first=True, total_length=steps
            )
        else:
            outputs, hidden = self.rnn(x)  # (B, T, H * D)
        if self.rnn is None and self.config.head == "last":
            last = (lengths - 1).clamp(min=0)
            pooled = outputs[torch.arange(batch, device=x.device), last]  # (B, C)
        elif self.config.head == "last":
            h_n = hidden[0] if isinstance(hidden, tuple) else hidden  # (L * D, B, H)
            if self.config.bidirectional:
                pooled = torch.cat([h_n[-2], h_n[-1]], dim=1)  # (B, 2H)
            else:
                pooled = h_n[-1]  # (B, H)
        else:
            if self.attention is not None:
                pooled = self.attention(outputs, mask)
            else:
                summed = (outputs * mask.unsqueeze(-1)).sum(dim=1)
                pooled = summed / lengths.clamp(min=1).unsqueeze(-1).to(outputs.dtype)
        return self.classifier(self.dropout(pooled))  # (B, K)
