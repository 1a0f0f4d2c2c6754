"""Tuning throughput: trials per hour with 1 worker and with 2 workers on one study.

Each worker is its own process running the tune pipeline's ``run_study`` (one torch
thread, a tiny model and data so a trial takes seconds) against a shared storage:
MySQL / MariaDB when reachable (``PIRATE_PAIN_TEST_MYSQL_URL`` or 127.0.0.1:3306),
else an SQLite file.

    python benchmarks/tune_throughput.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import tempfile
import time
import uuid

import numpy as np

SPACE = {
    "optimizer.learning_rate": {
        "type": "float",
        "low": 1e-3,
        "high": 1e-2,
        "log": True,
    },
    "model.dropout": {"type": "float", "low": 0.0, "high": 0.5},
}


def _storage_url() -> str:
    url = os.environ.get("PIRATE_PAIN_TEST_MYSQL_URL")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 3306), timeout=2).close()
        return "mysql+pymysql://root@127.0.0.1:3306/test"
    except OSError:
        return f"sqlite:///{tempfile.mkdtemp()}/throughput.db"


def _data(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    x = rng.normal(size=(n, 80, 10)).astype(np.float32)
    x[:, :, 0] += y[:, None]
    return {
        "x": x,
        "lengths": np.full(n, 80),
        "y": y,
        "static": np.ones((n, 1), dtype=np.int64),
        "static_cardinalities": np.array([3]),
        "class_names": np.array(["a", "b", "c"]),
        "sample_ids": np.arange(n).astype(str),
    }


def _worker(url: str, study: str, seconds: float, queue) -> None:
    import logging

    import torch

    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    from pirate_pain.pipelines.tune.nodes import run_study

    train = {
        "epochs": 3,
        "batch_size": 32,
        "progress_bar": False,
        "model": {"hidden_size": 16, "num_layers": 1},
    }
    params = {
        "study_name": study,
        "n_trials": None,
        "timeout": seconds,
        "torch_threads": 1,
        "search_space": SPACE,
        "sampler": {"name": "random", "seed": os.getpid()},
        "pruner": {"name": "none"},
        "heartbeat_interval": 10,
    }
    started = time.monotonic()
    _, trials, *_ = run_study(_data(200, 0), _data(60, 1), url, train, params)
    mine = trials["user_attrs_worker"].str.endswith(f":{os.getpid()}")
    queue.put(
        (
            int((mine & (trials["state"] == "COMPLETE")).sum()),
            time.monotonic() - started,
        )
    )


def _rate(url: str, workers: int, seconds: float) -> float:
    study = f"throughput_{uuid.uuid4().hex[:8]}"
    context = mp.get_context("spawn")
    queue = context.Queue()
    procs = [
        context.Process(target=_worker, args=(url, study, seconds, queue))
        for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    trials = sum(r[0] for r in results)
    # each worker optimises for `seconds` (its timeout); set-up and plots not counted
    print(
        f"{workers} worker(s): {trials} completed trials in {seconds:.0f} s -> "
        f"{trials / seconds * 3600:.0f} trials/hour"
    )
    return trials / seconds * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    url = _storage_url()
    from pirate_pain.tuning import masked

    print(f"storage {masked(url)}, {os.cpu_count()} cores, one torch thread per worker")
    one = _rate(url, 1, args.seconds)
    two = _rate(url, 2, args.seconds)
    print(f"ratio 2 workers / 1 worker: {two / one:.2f} (target >= 1.7)")


if __name__ == "__main__":
    main()
