"""The public suite: five aeon-bundled data sets through the same select route.

For each data set, ``kedro run --pipeline=select --env=<env>`` (its environment holds
only the data description) runs the shipped candidate set (``select`` block) with
no per-data-set tuning; its selection table (CV-selected ensemble, best single
configuration by CV, MiniRocket and MultiRocket-Hydra fitted in the same run) is
read through the catalog. One table with test macro F1, accuracy, fit and predict
seconds, the run's wall time and ranks per data set (1 = best macro F1, ties
share the mean rank), then the mean rank of each route.

    python benchmarks/public_suite.py                   # all five
    python benchmarks/public_suite.py --datasets gun_point arrow_head
    python benchmarks/public_suite.py --params select.folds=3

Writes data/08_reporting/public_suite.csv (and every candidate's cross-validated
macro F1 to public_suite_candidates.csv) and prints both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

ROOT = Path(__file__).resolve().parents[1]
SUITE = {  # environment -> data set
    "japanese_vowels": "JapaneseVowels",
    "basic_motions": "BasicMotions",
    "arrow_head": "ArrowHead",
    "gun_point": "GunPoint",
    "italy_power_demand": "ItalyPowerDemand",
}
OUTPUT = ROOT / "data" / "08_reporting" / "public_suite.csv"
CV_OUTPUT = ROOT / "data" / "08_reporting" / "public_suite_candidates.csv"


def route(model: str) -> str:
    """'best single (auto_fcn)' -> 'best single'; other rows keep their name."""
    return model.split(" (")[0]


def run_dataset(
    env: str, params: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    command = [
        sys.executable,
        "-m",
        "kedro",
        "run",
        "--pipeline=select",
        f"--env={env}",
    ]
    if params:
        command.append(f"--params={params}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"kedro run --pipeline=select --env={env} failed: see above.")
    with KedroSession.create(project_path=ROOT, env=env) as session:
        catalog = session.load_context().catalog
        table = catalog.load("selection_table")
        candidates = catalog.load("comparison_table")
    return table, candidates, wall


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["rank"] = table.groupby("dataset")["macro_f1"].rank(
        ascending=False, method="average"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(SUITE), default=None)
    parser.add_argument("--params", help="passed to every kedro run as --params")
    args = parser.parse_args()
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    bootstrap_project(ROOT)
    frames, cv_frames = [], []
    for env in args.datasets or list(SUITE):
        table, candidates, wall = run_dataset(env, args.params)
        cv_frames.append(candidates.assign(dataset=SUITE[env]))
        if table is None or table.empty:
            raise SystemExit(f"{env}: the selection table is empty (no test labels?).")
        table.insert(0, "dataset", SUITE[env])
        table["run_wall_seconds"] = round(wall, 1)
        frames.append(table)
        print(f"{SUITE[env]}: {wall / 60:.1f} min", flush=True)
    suite = ranked(pd.concat(frames, ignore_index=True))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    suite.to_csv(OUTPUT, index=False)
    cv = pd.concat(cv_frames, ignore_index=True)
    cv.to_csv(CV_OUTPUT, index=False)
    columns = ["dataset", "model", "macro_f1", "accuracy", "fit_seconds"]
    columns += ["predict_seconds", "rank", "run_wall_seconds"]
    print(suite[columns].round(4).to_string(index=False))
    mean_rank = suite.assign(route=suite["model"].map(route)).groupby("route")["rank"]
    print("\nMean rank (1 = best):")
    print(mean_rank.mean().sort_values().round(2).to_string())
    print("\nCross-validated macro F1 of every candidate (mean over folds):")
    wide = cv.pivot(index="configuration", columns="dataset", values="macro_f1_mean")
    print(wide.round(3).to_string())
    total = sum(f["run_wall_seconds"].iloc[0] for f in frames)
    print(f"\nWall time: {total / 60:.1f} min for {len(frames)} data set(s)")


if __name__ == "__main__":
    main()
