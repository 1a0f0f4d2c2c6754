"""CUDA training (marked ``gpu``; skipped with a reason where there is no CUDA).

Imports only the modeling code (PyTorch, numpy, scikit-learn, pydantic, omegaconf), so
it runs on a GPU machine without Kedro: ``benchmarks/gpu_check.sh``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pirate_pain.modeling.artifacts import build_artifact, load_classifier
from pirate_pain.modeling.batches import make_batches
from pirate_pain.modeling.config import TrainConfig, WindowConfig
from pirate_pain.modeling.training import fit, predict_proba
from tests.model_inputs import model_input as _data

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="no CUDA device on this machine"
    ),
]


def _config(**overrides) -> TrainConfig:
    base = {"epochs": 3, "batch_size": 8, "progress_bar": False, "seed": 1}
    return TrainConfig.from_params(base).with_overrides(
        {"model": {"hidden_size": 16, "num_layers": 1}, **overrides}
    )


def test_cuda_training_matches_the_cpu_closely_and_saves_cpu_tensors():
    data, validation = _data(), _data(seed=1)
    cpu = fit(data, validation, _config(device="cpu"))
    gpu = fit(data, validation, _config(device="cuda", deterministic=True))
    assert next(gpu.model.parameters()).is_cuda
    artifact = build_artifact(gpu, _config(), {})
    assert all(t.device.type == "cpu" for t in artifact["state_dict"].values())
    model, _ = load_classifier(artifact)  # loads on the CPU
    batches = make_batches(validation, WindowConfig())
    np.testing.assert_allclose(
        predict_proba(model, batches), predict_proba(gpu.model, batches), atol=1e-4
    )
    cpu_loss = [h["train_loss"] for h in cpu.history]
    gpu_loss = [h["train_loss"] for h in gpu.history]
    np.testing.assert_allclose(gpu_loss, cpu_loss, rtol=1e-3)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_half_precision_on_cuda_gives_no_nan(precision):
    config = _config(
        device="cuda",
        precision=precision,
        model={"head": "attention", "conv_channels": 8, "conv_batch_norm": True},
        sampling={"method": "weighted_sampler"},
        augmentation={"jitter_std": 0.1, "scale_std": 0.1},
        window={"length": 8, "stride": 4},
    )
    result = fit(_data(ragged=True), _data(seed=1, ragged=True), config)
    assert all(np.isfinite(h["train_loss"]) for h in result.history)
    probs = predict_proba(
        result.model, make_batches(_data(seed=2), config.window), precision=precision
    )
    assert np.isfinite(probs).all()


def _fit_on_this_worker(data, validation, config) -> tuple[int, np.ndarray]:
    """One fanned-out fit on a worker: its current GPU and its probabilities."""
    fitted = fit(data, validation, config)
    return torch.cuda.current_device(), fitted.probabilities(validation)


def test_fits_share_the_gpus_with_a_stated_number_per_gpu():
    pytest.importorskip("dask.distributed", reason="Dask not installed here")
    from pirate_pain.fanout import FanoutParams, Task, cuda_devices, fan_out

    params = FanoutParams(fits_per_gpu=2)
    assert params.local_workers() == 2 * cuda_devices()
    data, validation = _data(), _data(seed=1)
    config = _config(device="cuda", deterministic=True)
    tasks = [
        Task(str(k), _fit_on_this_worker, (data, validation, config)) for k in range(4)
    ]
    with fan_out(params) as runner:
        shared = runner.run(tasks, "gpu fits")
    with fan_out(FanoutParams(workers=1)) as runner:
        alone = runner.run(tasks[:1], "gpu fit")
    # worker i on GPU i mod n; each fit the same as one at a time
    assert {gpu for gpu, _ in shared} == set(range(cuda_devices()))
    for _, probs in shared:
        np.testing.assert_allclose(probs, alone[0][1], atol=1e-5)
