"""Wall time of ``select`` one fit at a time versus fanned out over the cores.

    python benchmarks/fanout_speed.py                      # GunPoint
    python benchmarks/fanout_speed.py --envs gun_point,japanese_vowels

Each environment runs in a fresh copy of the project (configuration only) twice:
``fanout.workers=1`` and the default (a local Dask cluster, ``docs/fanout.md``).
Prints both wall times, their ratio and whether the chosen ensemble and its test
row are the same (timing columns aside). Run nothing else on the machine meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
TIMES = ["fit_seconds", "predict_seconds"]


def latest(root: Path, name: str) -> Path:
    return sorted((root / "data").glob(f"*/{name}/*/*"))[-1]


def run_select(root: Path, env: str, *params: str) -> float:
    """``kedro run --pipeline=select --env=<env> <params>`` in ``root``: seconds."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kedro",
            "run",
            "--pipeline=select",
            f"--env={env}",
            *params,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
    )
    return time.perf_counter() - started


def fresh_project(folder: str) -> Path:
    """A copy of the project's configuration in ``folder`` (data made anew)."""
    root = Path(folder) / "project"
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copy(REPO / "pyproject.toml", root)
    shutil.copy(REPO / ".telemetry", root)
    (root / "src").mkdir()
    return root


def _select(root: Path, env: str, *params: str) -> tuple[float, dict, pd.DataFrame]:
    seconds = run_select(root, env, *params)
    selection = json.loads(latest(root, "ensemble_selection.json").read_text())
    table = pd.read_csv(latest(root, "selection_table.csv"), dtype={"model": str})
    return seconds, selection["weights"], table.drop(columns=TIMES)


def environments(doc: str) -> list[str]:
    """The ``--envs`` of a benchmark's command line, after printing the machine."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--envs", default="gun_point")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    return args.envs.split(",")


def main() -> None:
    for env in environments(__doc__):
        with tempfile.TemporaryDirectory() as folder:
            root = fresh_project(folder)
            seq_s, seq_w, seq_t = _select(root, env, "--params=fanout.workers=1")
            par_s, par_w, par_t = _select(root, env)
        same = seq_w == par_w and seq_t.equals(par_t)
        test = seq_t.iloc[0]["macro_f1"] if len(seq_t) else float("nan")
        print(
            f"{env}: sequential {seq_s / 60:.1f} min, default workers "
            f"{par_s / 60:.1f} min, ratio {par_s / seq_s:.2f}; selected {seq_w}, "
            f"test macro F1 {test:.4f}; same ensemble and table: {same}"
        )


if __name__ == "__main__":
    main()
