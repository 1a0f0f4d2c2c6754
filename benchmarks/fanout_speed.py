"""Wall time of ``select`` (or train's k-fold) one fit at a time versus fanned out.

    python benchmarks/fanout_speed.py                      # select on GunPoint
    python benchmarks/fanout_speed.py --envs gun_point,japanese_vowels
    python benchmarks/fanout_speed.py --route kfold --envs japanese_vowels

Each environment runs in a fresh copy of the project (configuration only) twice:
``fanout.workers=1`` and the default (a local Dask cluster, ``docs/fanout.md``).
Prints both wall times, their ratio and whether the chosen ensemble and its test
row are the same (timing columns aside), then the seconds of all fits (from the
progress lines) one at a time and two at once, and the best ratio those fit times
allow: everything else as in the sequential run, the fits spread evenly; with ``--route kfold``, ``kedro run
--pipeline=train --params=train.cross_validation.folds=5`` and whether the fold
summary and the fold models are the same. Run nothing else on the machine meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from published_figures import cpu_model  # same folder

REPO = Path(__file__).resolve().parents[1]
TIMES = ["fit_seconds", "predict_seconds"]


def latest(root: Path, name: str) -> Path:
    return sorted((root / "data").glob(f"*/{name}/*/*"))[-1]


def run_select(root: Path, env: str, *params: str, pipeline="select") -> float:
    """``kedro run --pipeline=<pipeline> --env=<env> <params>`` in ``root``: seconds."""
    return run_kedro(root, env, *params, pipeline=pipeline)[0]


def run_kedro(
    root: Path, env: str, *params: str, pipeline="select"
) -> tuple[float, str]:
    """``kedro run --pipeline=<pipeline> --env=<env> <params>`` in ``root``: seconds
    and the log."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kedro",
            "run",
            f"--pipeline={pipeline}",
            f"--env={env}",
            *params,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
    )
    return time.perf_counter() - started, done.stdout + done.stderr


def fit_seconds(log: str) -> float:
    """The seconds of every fit of a run, in all, from its progress lines
    ("compare: 3/40 fits done (auto_fcn repeat 1 fold 2, 0m11s), ...")."""
    times = re.findall(r"fits done \(.*?, (\d+)m(\d\d)s\)", log)
    return float(sum(60 * int(m) + int(s) for m, s in times))


def fresh_project(folder: str) -> Path:
    """A copy of the project's configuration in ``folder`` (data made anew)."""
    root = Path(folder) / "project"
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copy(REPO / "pyproject.toml", root)
    shutil.copy(REPO / ".telemetry", root)
    (root / "src").mkdir()
    return root


def _select(
    root: Path, env: str, *params: str
) -> tuple[float, float, dict, pd.DataFrame]:
    seconds, log = run_kedro(root, env, *params)
    selection = json.loads(latest(root, "ensemble_selection.json").read_text())
    table = pd.read_csv(latest(root, "selection_table.csv"), dtype={"model": str})
    return seconds, fit_seconds(log), selection["weights"], table.drop(columns=TIMES)


def _kfold(root: Path, env: str, *params: str) -> tuple[float, dict, list[str]]:
    folds = "train.cross_validation.folds=5"
    params = [f"--params={','.join([folds, *params])}"]
    seconds = run_select(root, env, *params, pipeline="train")
    summary = json.loads(latest(root, "cv_summary.json").read_text())
    models = torch.load(latest(root, "cv_models.pt"), weights_only=True)["models"]
    return seconds, summary, [m["model_id"] for m in models]


def command_line(
    doc: str, with_route: bool = False, rules: list[str] | None = None
) -> argparse.Namespace:
    """A benchmark's ``--envs`` (and ``--route`` / ``--rule``), after printing the
    machine."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--envs", default="gun_point")
    if with_route:
        parser.add_argument("--route", choices=["select", "kfold"], default="select")
    if rules:
        parser.add_argument("--rule", choices=rules, default=rules[0])
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores")
    return args


def environments(doc: str) -> list[str]:
    """The ``--envs`` of a benchmark's command line, after printing the machine."""
    return command_line(doc).envs.split(",")


def main() -> None:
    args = command_line(__doc__, with_route=True)
    envs = args.envs.split(",")
    if args.route == "kfold":
        for env in envs:
            with tempfile.TemporaryDirectory() as folder:
                root = fresh_project(folder)
                seq_s, seq_summary, seq_ids = _kfold(root, env, "fanout.workers=1")
                par_s, par_summary, par_ids = _kfold(root, env)
            same = seq_summary == par_summary and seq_ids == par_ids
            print(
                f"{env} train 5-fold: sequential {seq_s / 60:.1f} min, default "
                f"workers {par_s / 60:.1f} min, ratio {par_s / seq_s:.2f}; "
                f"cv macro F1 {seq_summary['macro_f1_mean']:.4f}; same fold "
                f"models and summary: {same}"
            )
        return
    for env in envs:
        with tempfile.TemporaryDirectory() as folder:
            root = fresh_project(folder)
            seq_s, seq_fits, seq_w, seq_t = _select(
                root, env, "--params=fanout.workers=1"
            )
            par_s, par_fits, par_w, par_t = _select(root, env)
        same = seq_w == par_w and seq_t.equals(par_t)
        test = seq_t.iloc[0]["macro_f1"] if len(seq_t) else float("nan")
        print(
            f"{env}: sequential {seq_s / 60:.1f} min, default workers "
            f"{par_s / 60:.1f} min, ratio {par_s / seq_s:.2f}; selected {seq_w}, "
            f"test macro F1 {test:.4f}; same ensemble and table: {same}"
        )
        _bound(seq_s, seq_fits, par_fits)


def _bound(seq_s: float, seq_fits: float, par_fits: float) -> None:
    """The best ratio the default workers could reach with the fit times measured:
    everything but the fits one at a time, the fits spread evenly."""
    workers, rest = os.cpu_count() or 1, seq_s - seq_fits
    best = (rest + par_fits / workers) / seq_s
    print(
        f"  fits in all: {seq_fits:.0f} s one at a time, {par_fits:.0f} s on "
        f"{workers} workers at once (x{par_fits / seq_fits:.2f} each); the rest "
        f"{rest:.0f} s; best ratio with these fit times: ({rest:.0f} + "
        f"{par_fits:.0f} / {workers}) / {seq_s:.0f} = {best:.2f}"
    )


if __name__ == "__main__":
    main()
