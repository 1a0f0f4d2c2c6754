"""Training-loop overhead: one epoch through ``fit`` against a bare PyTorch loop.

Same data (the synthetic challenge shape, 528 x 160 x 30), same model (biGRU 3 x 100),
same batch size, same optimiser. Prints both epoch times, their ratio and peak memory.

    python benchmarks/training_overhead.py [--epochs 3] [--sequences 528]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch

from pirate_pain.modeling.config import TrainConfig
from pirate_pain.modeling.model import ModelShape, SequenceClassifier
from pirate_pain.modeling.training import fit


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


def bare_epochs(data: dict, config: TrainConfig, epochs: int) -> list[float]:
    """The reference: forward, loss, backward, step; nothing else."""
    torch.manual_seed(config.seed)
    shape = ModelShape(data["x"].shape[2], 3, [3])
    model = SequenceClassifier(config.model, shape)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.optimizer.learning_rate,
        weight_decay=config.optimizer.weight_decay,
    )
    criterion = torch.nn.CrossEntropyLoss()
    x, y = torch.as_tensor(data["x"]), torch.as_tensor(data["y"])
    lengths, static = torch.as_tensor(data["lengths"]), torch.as_tensor(data["static"])
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(y))
        for start in range(0, len(y), config.batch_size):
            index = order[start : start + config.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[index], lengths[index], static[index]), y[index])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--sequences", type=int, default=528)
    args = parser.parse_args()
    data = make_data(args.sequences, 160, 30)
    # The project loop with the same work: no validation pass, no extras switched on.
    config = TrainConfig.from_params(
        {
            "epochs": args.epochs,
            "batch_size": 64,
            "progress_bar": False,
            "gradient_clip": 0.0,
            "loss": {"class_weights": "none", "label_smoothing": 0.0},
            "scheduler": {"name": "none"},
        }
    )
    bare = bare_epochs(data, config, args.epochs)
    project = [h["seconds"] for h in fit(data, None, config).history]
    # the first epoch warms caches up; compare the steady state
    bare_s, project_s = (
        float(np.median(bare[1:] or bare)),
        float(np.median(project[1:] or project)),
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"{args.sequences} sequences x 160 steps x 30 features, biGRU 3 x 100, batch 64"
    )
    print(
        f"bare PyTorch loop : {bare_s:.3f} s / epoch  (epochs: {np.round(bare, 3).tolist()})"
    )
    print(
        f"project fit()     : {project_s:.3f} s / epoch  (epochs: {np.round(project, 3).tolist()})"
    )
    print(f"ratio             : {project_s / bare_s:.3f}  (target <= 1.10)")
    print(f"peak memory (RSS) : {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
