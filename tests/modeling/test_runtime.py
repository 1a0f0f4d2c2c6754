"""Device, precision and CPU settings: what runs on a CPU-only machine, and the
CUDA path where a GPU exists (marked ``gpu``)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch

from pirate_pain.datasets import TorchModelDataset
from pirate_pain.errors import UserInputError
from pirate_pain.modeling.artifacts import build_artifact, load_classifier
from pirate_pain.modeling.batches import make_batches
from pirate_pain.modeling.config import TrainConfig, WindowConfig
from pirate_pain.modeling.runtime import (
    _flush_denormal_enabled,
    compute_settings,
    resolve_device,
)
from pirate_pain.modeling.training import fit, predict_proba
from tests.modeling.test_training_options import BASE, _data

NO_CUDA = not torch.cuda.is_available()


def _config(**overrides) -> TrainConfig:
    return TrainConfig.from_params(BASE).with_overrides(overrides)


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_auto_is_the_cpu_and_cuda_is_one_sentence_without_it():
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(UserInputError) as info:
        resolve_device("cuda")
    assert str(info.value) == (
        "train.device is 'cuda' but this machine has no CUDA device: use auto or cpu."
    )
    with pytest.raises(UserInputError, match="inference.device is 'cuda:1'"):
        resolve_device("cuda:1", "inference.device")


def test_device_names_are_checked_by_the_typed_block():
    with pytest.raises(UserInputError, match="train.device is 'gpu'"):
        TrainConfig.from_params({"device": "gpu"})
    assert TrainConfig.from_params({"device": "cuda:3"}).device == "cuda:3"


@pytest.mark.parametrize("caller_flush", [False, True])
def test_settings_hold_inside_and_are_restored_after(caller_flush):
    torch.set_flush_denormal(caller_flush)
    threads = torch.get_num_threads()
    try:
        with compute_settings(threads=1):
            assert _flush_denormal_enabled()
            assert torch.get_num_threads() == 1
        assert _flush_denormal_enabled() is caller_flush
        assert torch.get_num_threads() == threads
        fit(_data(), None, _config(epochs=1, torch_threads=1))
        assert _flush_denormal_enabled() is caller_flush  # fit does not leak it
        assert torch.get_num_threads() == threads
    finally:
        torch.set_flush_denormal(False)


def test_model_file_from_another_device_loads_on_the_cpu(tmp_path):
    fitted = fit(_data(), _data(seed=1), _config(epochs=1))
    artifact = build_artifact(fitted, _config(epochs=1), {})
    path = tmp_path / "model.pt"
    # written as a GPU machine writes it: every storage tagged cuda:0
    with mock.patch("torch.serialization.location_tag", lambda storage: "cuda:0"):
        torch.save(artifact, path)
    loaded = TorchModelDataset(str(path)).load()
    model, config = load_classifier(loaded)
    batches = make_batches(_data(seed=2), WindowConfig())
    expected = predict_proba(fitted.model, batches)
    np.testing.assert_allclose(predict_proba(model, batches), expected, atol=1e-6)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_half_precision_trains_ragged_attention_and_batch_norm_without_nan(precision):
    config = _config(
        epochs=2,
        precision=precision,
        model={
            "head": "attention",
            "conv_channels": 8,
            "conv_batch_norm": True,
        },
    )
    data = _data(ragged=True)
    result = fit(data, _data(seed=1, ragged=True), config)
    losses = [h["train_loss"] for h in result.history]
    assert all(np.isfinite(losses))
    probs = predict_proba(
        result.model, make_batches(data, WindowConfig()), precision=precision
    )
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-3)
