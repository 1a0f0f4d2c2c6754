"""CPU thread policy: one training alone, two at once, and beside a CPU-bound process.

Each training is a separate process running ``fit`` (biGRU 3 x 100, batch 64) on
random data of the challenge's train-split shape; it prints its median epoch time.
Prints one table: threads per training x situation.

    python benchmarks/cpu_threads.py [--threads 1,2] [--epochs 3] [--sequences 528]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np


def child(threads: int, epochs: int, sequences: int) -> None:
    from pirate_pain.modeling.config import TrainConfig
    from pirate_pain.modeling.training import fit

    sys.path.insert(0, "benchmarks")
    from training_overhead import make_data

    config = TrainConfig.from_params(
        {"epochs": epochs, "torch_threads": threads, "progress_bar": False}
    )
    history = fit(make_data(sequences, 160, 38), None, config).history
    seconds = [h["seconds"] for h in history]
    print(json.dumps(float(np.median(seconds[1:] or seconds))))


def _start(threads: int, args) -> subprocess.Popen:
    command = [sys.executable, __file__, "--child", str(threads)]
    command += ["--epochs", str(args.epochs), "--sequences", str(args.sequences)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _epoch(process: subprocess.Popen) -> float:
    out, _ = process.communicate()
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--sequences", type=int, default=528)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.epochs, args.sequences)
        return
    print(f"{args.sequences} x 160 x 38, biGRU 3 x 100, median epoch seconds")
    print("| threads per training | alone | two at once (each) | beside a busy loop |")
    print("|---|---|---|---|")
    for threads in (int(t) for t in args.threads.split(",")):
        alone = _epoch(_start(threads, args))
        pair = [_start(threads, args), _start(threads, args)]
        both = [_epoch(p) for p in pair]
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            beside = _epoch(_start(threads, args))
        finally:
            busy.kill()
        print(
            f"| {threads} | {alone:.2f} | {max(both):.2f} | {beside:.2f} |", flush=True
        )


if __name__ == "__main__":
    main()
