"""Training cost: the project's ``fit`` against a bare PyTorch loop doing the same work.

Same data (random, challenge-like), same model (biGRU 3 x 100), batch 64, AdamW, on
the same device with the same CPU settings (threads, denormals flushed, as ``fit``
sets them). One table row per shape: sequences x steps x features. Needs only
PyTorch, numpy and scikit-learn besides the project (``PYTHONPATH=src`` works).

    python benchmarks/training_overhead.py                       # CPU, the shape grid
    python benchmarks/training_overhead.py --shapes 192x427x1    # one long univariate
    python benchmarks/training_overhead.py --device cuda --precision bf16 \\
        --shapes 661x160x38,20000x160x38
    python benchmarks/training_overhead.py --no-flush --shapes 192x427x1  # the stall
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from pirate_pain.modeling.config import TrainConfig
from pirate_pain.modeling.model import ModelShape, SequenceClassifier
from pirate_pain.modeling.runtime import (
    autocast,
    compute_settings,
    describe_device,
    resolve_device,
)
from pirate_pain.modeling.training import fit

DEFAULT_SHAPES = "661x160x38,661x320x38,661x640x38,2000x160x38,10000x160x38"


def make_data(n: int, steps: int, features: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.77, 0.14, 0.09])
    x = rng.normal(size=(n, steps, features)).astype(np.float32)
    return {
        "x": x,
        "lengths": np.full(n, steps),
        "y": y,
        "static": np.ones((n, 1), dtype=np.int64),
        "static_cardinalities": np.array([3]),
        "class_names": np.array(["no_pain", "low_pain", "high_pain"]),
        "sample_ids": np.arange(n).astype(str),
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_epochs(data: dict, config: TrainConfig, device: torch.device) -> list[float]:
    """The reference: data on the device once; forward, loss, backward, step."""
    torch.manual_seed(config.seed)
    shape = ModelShape(data["x"].shape[2], 3, [3])
    model = SequenceClassifier(config.model, shape).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.optimizer.learning_rate,
        weight_decay=config.optimizer.weight_decay,
    )
    criterion = torch.nn.CrossEntropyLoss()
    x, y = torch.as_tensor(data["x"]).to(device), torch.as_tensor(data["y"]).to(device)
    lengths = torch.as_tensor(data["lengths"]).to(device)
    static = torch.as_tensor(data["static"]).to(device)
    times = []
    for _ in range(config.epochs):
        _sync(device)
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(y)).to(device)
        for start in range(0, len(y), config.batch_size):
            index = order[start : start + config.batch_size]
            optimizer.zero_grad()
            with autocast(device, config.precision):
                logits = model(x[index], lengths[index], static[index])
            loss = criterion(logits.float(), y[index])
            loss.backward()
            optimizer.step()
        _sync(device)
        times.append(time.perf_counter() - started)
    return times


def measure(shape: str, args, device: torch.device) -> dict:
    n, steps, features = (int(v) for v in shape.split("x"))
    data = make_data(n, steps, features)
    # the project loop with the same work: no validation pass, no extras switched on
    config = TrainConfig.from_params(
        {
            "epochs": args.epochs,
            "batch_size": 64,
            "progress_bar": False,
            "gradient_clip": 0.0,
            "torch_threads": args.threads,
            "device": args.device,
            "precision": args.precision,
            "loss": {"class_weights": "none", "label_smoothing": 0.0},
            "scheduler": {"name": "none"},
        }
    )
    with compute_settings(args.threads, device=device):
        if args.no_flush:
            torch.set_flush_denormal(False)
        bare = bare_epochs(data, config, device)
    project = [h["seconds"] for h in fit(data, None, config).history]
    # the first epoch warms caches up; compare the steady state
    bare_s = float(np.median(bare[1:] or bare))
    project_s = float(np.median(project[1:] or project))
    return {"shape": shape, "bare": bare_s, "fit": project_s, "epochs": project}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=DEFAULT_SHAPES, help="NxTxF,...")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    parser.add_argument("--threads", type=int, default=0, help="0: the project default")
    parser.add_argument(
        "--no-flush", action="store_true", help="bare loop without flushed denormals"
    )
    args = parser.parse_args()
    device = resolve_device(args.device)
    with compute_settings(args.threads, device=device):
        threads = torch.get_num_threads()
    print(
        f"torch {torch.__version__}, {describe_device(args.device, device)}, "
        f"{args.precision}, {threads} CPU threads, biGRU 3 x 100, batch 64, "
        f"{args.epochs} epochs (median of epochs 2..)"
    )
    print(
        "| sequences x steps x features | bare loop s/epoch | fit() s/epoch | ratio |"
    )
    print("|---|---|---|---|")
    for shape in args.shapes.split(","):
        row = measure(shape, args, device)
        print(
            f"| {row['shape']} | {row['bare']:.3f} | {row['fit']:.3f} | "
            f"{row['fit'] / row['bare']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
