"""Each architecture option changes the model, and padding never leaks into results."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pirate_pain.modeling.config import ModelConfig
from pirate_pain.modeling.model import ModelShape, SequenceClassifier

SHAPE = ModelShape(n_features=5, n_classes=3, static_cardinalities=[3])


def _model(seed: int = 0, **overrides) -> SequenceClassifier:
    torch.manual_seed(seed)
    config = ModelConfig(
        **{"hidden_size": 6, "num_layers": 2, "dropout": 0.0, **overrides}
    )
    return SequenceClassifier(config, SHAPE).eval()


def _inputs(batch: int = 4, steps: int = 12):
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(batch, steps, 5, generator=generator)
    lengths = torch.full((batch,), steps)
    static = torch.tensor([1, 2, 1, 0][:batch]).unsqueeze(1)
    return x, lengths, static


@pytest.mark.parametrize(
    "cell, module", [("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)]
)
def test_cell_type(cell, module):
    model = _model(cell=cell)
    assert type(model.rnn) is module
    assert model(*_inputs()).shape == (4, 3)


def test_bidirectional_and_layers():
    uni = _model(bidirectional=False, num_layers=1)
    bi = _model(bidirectional=True, num_layers=3)
    assert not uni.rnn.bidirectional and uni.classifier.in_features == 6
    assert bi.rnn.bidirectional and bi.rnn.num_layers == 3
    assert bi.classifier.in_features == 12


def test_conv_front_end_keeps_time_length():
    model = _model(conv_channels=7, conv_kernel_size=5, conv_layers=2)
    assert len(model.conv.layers) == 2 and model.rnn.input_size == 7
    x = torch.randn(4, 12, 8)  # 5 features + 3 one-hot n_limbs codes
    lengths = torch.full((4,), 12)
    h, same = model.conv(x, torch.ones(4, 12, dtype=torch.bool), lengths)
    assert h.shape == (4, 12, 7) and same.tolist() == [12] * 4
    assert _model().conv is None


def test_heads_give_different_outputs():
    x = _inputs()
    outputs = {head: _model(head=head)(*x) for head in ("last", "mean", "attention")}
    assert _model(head="attention").attention is not None
    assert not torch.allclose(outputs["last"], outputs["mean"])
    assert not torch.allclose(outputs["mean"], outputs["attention"])


def test_static_embedding_or_one_hot():
    one_hot = _model(static_embedding_dim=0)
    embedded = _model(static_embedding_dim=4)
    assert one_hot.static.out_dim == 3 and not one_hot.static.embeddings
    assert embedded.static.out_dim == 4 and embedded.rnn.input_size == 9
    x, lengths, static = _inputs()
    changed = static.clone()
    changed[0, 0] = 2
    assert not torch.allclose(
        embedded(x, lengths, static)[0], embedded(x, lengths, changed)[0]
    )


@pytest.mark.parametrize("head", ["last", "mean", "attention"])
@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("conv", [0, 4])
def test_padding_never_changes_the_result(head, bidirectional, conv):
    """A ragged sequence padded with noise scores as if it stood alone."""
    model = _model(
        head=head,
        bidirectional=bidirectional,
        conv_channels=conv,
        conv_kernel_size=3,
        conv_layers=2,
    )
    x, _, static = _inputs(batch=2, steps=12)
    alone = model(x[:1, :7], torch.tensor([7]), static[:1])
    padded = x.clone()
    padded[0, 7:] = 100.0  # garbage after the true end
    batch = model(padded, torch.tensor([7, 12]), static)
    torch.testing.assert_close(batch[:1], alone, atol=1e-5, rtol=1e-4)


CONV_BN = {"conv_channels": 4, "conv_kernel_size": 3, "conv_layers": 2}


@pytest.mark.parametrize(
    "options",
    [
        {**CONV_BN, "conv_batch_norm": True, "cell": cell, "head": head}
        for cell in ("gru", "none")
        for head in ("last", "mean", "attention")
    ]
    + [
        {**CONV_BN, "conv_pool": 3, "cell": "gru", "head": head}
        for head in ("last", "mean", "attention")
    ]
    + [
        {"backbone": "resnet", "backbone_filters": 4},
        {"backbone": "inception", "backbone_filters": 4, "inception_depth": 3},
    ],
    ids=lambda o: "-".join(str(v) for v in o.values()),
)
def test_batch_norm_padding_never_changes_the_result(options):
    """Conv + masked batch norm (with or without a recurrent core), ResNet and
    InceptionTime, after training steps on padded batches (garbage past the end;
    negative values, where an unmasked max pool would pick the padding): padding
    neither moves the statistics nor the result."""
    model = _model(**options)
    x, _, static = _inputs(batch=2, steps=12)
    x = x - 5.0
    padded = x.clone()
    padded[0, 7:] = 100.0
    model.train()
    model(padded, torch.tensor([7, 12]), static)  # updates the running statistics
    model.eval()
    alone = model(x[:1, :7], torch.tensor([7]), static[:1])
    batch = model(padded, torch.tensor([7, 12]), static)
    torch.testing.assert_close(batch[:1], alone, atol=1e-5, rtol=1e-4)


def test_masked_batch_norm_counts_true_steps_only():
    model = _model(
        cell="none", conv_channels=4, conv_kernel_size=1, conv_batch_norm=True
    )
    norm = model.conv.norms[0]
    h = torch.randn(2, 4, 6)
    keep = torch.ones(2, 1, 6)
    keep[0, :, 3:] = 0
    h_garbage = h.clone()
    h_garbage[0, :, 3:] = 1e3
    norm.train()
    out = norm(h_garbage, keep)
    true = torch.cat([h[0, :, :3], h[1]], dim=1)  # (C, 9) true steps
    expected = (true - true.mean(1, keepdim=True)) / torch.sqrt(
        true.var(1, unbiased=False, keepdim=True) + norm.eps
    )
    torch.testing.assert_close(out[1], expected[:, 3:], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(
        norm.running_mean, 0.1 * true.mean(1), atol=1e-5, rtol=1e-4
    )


def test_convolutional_only_model():
    model = _model(cell="none", conv_channels=7, conv_layers=3, head="mean")
    assert model.rnn is None and model.classifier.in_features == 7
    assert model(*_inputs()).shape == (4, 3)
    with_norm = _model(
        cell="none", conv_channels=7, conv_layers=3, conv_batch_norm=True
    )
    assert len(with_norm.conv.norms) == 3 and not _model(conv_channels=7).conv.norms


def test_backbones_are_the_published_shapes():
    resnet = _model(backbone="resnet", backbone_filters=64)
    widths = [block.convs[0].out_channels for block in resnet.backbone.blocks]
    assert widths == [64, 128, 128] and resnet.classifier.in_features == 128
    inception = _model(backbone="inception", backbone_filters=32)
    assert len(inception.backbone.modules_) == 6
    assert len(inception.backbone.shortcuts) == 2
    assert inception.classifier.in_features == 128  # 3 kernels + pool branch, x 32
    assert inception(*_inputs()).shape == (4, 3)


def test_conv_pool_shortens_the_sequence_the_recurrent_core_sees():
    model = _model(conv_channels=4, conv_pool=4, head="mean")
    x = torch.randn(2, 10, 8)  # 5 features + 3 one-hot n_limbs codes
    lengths = torch.tensor([10, 10])
    h, pooled = model.conv(x, torch.ones(2, 10, dtype=torch.bool), lengths)
    assert h.shape == (2, 3, 4) and pooled.tolist() == [3, 3]  # ceil(10 / 4)
