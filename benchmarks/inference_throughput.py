"""Inference throughput of the 5-member ensemble on the default test set (1,324 sequences).

Prints sequences per second end to end (``kedro run --pipeline=inference_ensemble``:
start-up, CSV reading and validation, preprocessing, 5 models, voting, writing) and for
the predict step alone. Run from the project root after ``kedro run --pipeline=ensemble``
(with ``--train-missing`` the script trains a 1-epoch ensemble first: speed does not
depend on accuracy).

    python benchmarks/inference_throughput.py [--train-missing] [--repeats 3]
    python benchmarks/inference_throughput.py --device cuda [--predict-only]

``--predict-only`` needs no Kedro (a GPU machine without it): it reads the ensemble
and the validated test sequences written by earlier runs.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import time

import torch


def _kedro(*args: str) -> None:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-missing", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--predict-only", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="0: the project default")
    args = parser.parse_args()
    if not glob.glob("data/06_models/ensemble_model.pt/*/ensemble_model.pt"):
        if not args.train_missing:
            sys.exit(
                "No ensemble yet: run `kedro run --pipeline=ensemble` or pass "
                "--train-missing."
            )
        _kedro("run", "--pipeline=ensemble", "--params=train.epochs=1")

    import numpy as np

    from pirate_pain.modeling.predict import predict
    from pirate_pain.modeling.runtime import (
        compute_settings,
        describe_device,
        resolve_device,
    )

    device = resolve_device(args.device)

    # read without Kedro (a GPU machine may not have it): the same safe loading
    ensemble = torch.load(
        sorted(glob.glob("data/06_models/ensemble_model.pt/*/ensemble_model.pt"))[-1],
        map_location="cpu",
        weights_only=True,
    )
    end_to_end = []
    for _ in range(0 if args.predict_only else args.repeats):
        started = time.perf_counter()
        _kedro(
            "run",
            "--pipeline=inference_ensemble",
            f"--params=inference.device={args.device}",
        )
        end_to_end.append(time.perf_counter() - started)
    path = "data/02_intermediate/validated_test_sequences.npz"
    with np.load(path, allow_pickle=False) as archive:
        sequences = {key: archive[key] for key in archive.files}
    n = len(sequences["sample_ids"])
    predict_only = []
    with compute_settings(threads=args.threads, device=device):
        threads = torch.get_num_threads()
        for _ in range(args.repeats):
            started = time.perf_counter()
            predict(ensemble, sequences, device)
            predict_only.append(time.perf_counter() - started)
    members = len(ensemble["members"])
    print(
        f"{members}-member ensemble ({', '.join(ensemble['member_names'])}), "
        f"{n} test sequences, {describe_device(args.device, device)}, "
        f"{threads} CPU threads"
    )
    best_predict = min(predict_only)
    if end_to_end:
        best_e2e = min(end_to_end)
        print(
            f"end to end (kedro run --pipeline=inference_ensemble): {best_e2e:.2f} s "
            f"-> {n / best_e2e:.0f} sequences/s"
        )
    print(
        f"predict step alone: {best_predict:.2f} s -> {n / best_predict:.0f} sequences/s"
    )


if __name__ == "__main__":
    main()
