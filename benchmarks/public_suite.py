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
    python benchmarks/public_suite.py --rules bagged    # also the bagged rule
    python benchmarks/public_suite.py --unseen          # three data sets never tuned on

With ``--rules``, each further selection rule reruns only the selection and the
refits of the same run (``--from-nodes=select_members_node``, same out-of-fold
predictions) and adds a row per data set and rule to public_suite_rules.csv:
the out-of-fold macro F1 the rule claims, its test macro F1 and the gap.

Writes data/08_reporting/public_suite.csv (and every candidate's cross-validated
macro F1 to public_suite_candidates.csv, and each data set's out-of-fold
predictions to public_suite_oof/<env>.csv for benchmarks/selection_rules.py) and
prints both.
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
# aeon-bundled classification sets no configuration of this project was chosen on:
# each environment holds only the data description (``--unseen`` runs them)
UNSEEN = {
    "covid3month": "Covid3Month_disc",
    "pickup_gesture": "PickupGestureWiimoteZ",
    "osu_leaf": "OSULeaf",
}
# the same, 1,460 steps (``--datasets acsf1``; 9.5 min on 2 cores: racing drops the
# deep candidates after two folds)
LONG = {"acsf1": "ACSF1"}
DATASETS = {**SUITE, **UNSEEN, **LONG}
OUTPUT = ROOT / "data" / "08_reporting" / "public_suite.csv"
CV_OUTPUT = ROOT / "data" / "08_reporting" / "public_suite_candidates.csv"
RULES_OUTPUT = ROOT / "data" / "08_reporting" / "public_suite_rules.csv"
OOF_DIR = ROOT / "data" / "08_reporting" / "public_suite_oof"


def route(model: str) -> str:
    """'best single (auto_fcn)' -> 'best single'; other rows keep their name."""
    return model.split(" (")[0]


def kedro_select(env: str, params: str | None, *extra: str) -> float:
    """``kedro run --pipeline=select --env=<env>``; its wall seconds."""
    command = [sys.executable, "-m", "kedro", "run", "--pipeline=select"]
    command += [f"--env={env}", *extra]
    if params:
        command.append(f"--params={params}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:])} failed: see above.")
    return time.perf_counter() - started


def selected_row(catalog, env: str) -> dict:
    """The selected ensemble's out-of-fold claim, test score and gap."""
    selected = catalog.load("selection_table").iloc[0]
    selection = catalog.load("ensemble_selection")
    return {
        "dataset": DATASETS[env],
        "rule": selection.get("rule", "greedy"),
        "members": len(selection["weights"]),
        "oof_macro_f1": selected["oof_macro_f1"],
        "test_macro_f1": selected["macro_f1"],
        "gap": round(selected["oof_macro_f1"] - selected["macro_f1"], 4),
    }


def rule_row(env: str, params: str | None, rule: str) -> dict:
    """The selection and refits again under ``rule``, on the same out-of-fold
    predictions (only the selection and its refits rerun)."""
    rule_params = f"select.rule={rule}" + (f",{params}" if params else "")
    kedro_select(env, rule_params, "--from-nodes=select_members_node")
    with KedroSession.create(project_path=ROOT, env=env) as session:
        return selected_row(session.load_context().catalog, env)


def run_dataset(
    env: str, params: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, float, dict]:
    wall = kedro_select(env, params)
    with KedroSession.create(project_path=ROOT, env=env) as session:
        catalog = session.load_context().catalog
        table = catalog.load("selection_table")
        candidates = catalog.load("comparison_table")
        OOF_DIR.mkdir(parents=True, exist_ok=True)  # benchmarks/selection_rules.py
        catalog.load("oof_predictions").to_csv(OOF_DIR / f"{env}.csv", index=False)
        shipped = selected_row(catalog, env) if table is not None else None
    return table, candidates, wall, shipped


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["rank"] = table.groupby("dataset")["macro_f1"].rank(
        ascending=False, method="average"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=None)
    parser.add_argument(
        "--unseen", action="store_true", help="the unseen data sets instead of the five"
    )
    parser.add_argument("--params", help="passed to every kedro run as --params")
    parser.add_argument(
        "--rules",
        nargs="*",
        default=[],
        choices=["greedy", "bagged", "anchored"],
        help="further selection rules scored on the same run",
    )
    args = parser.parse_args()
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    bootstrap_project(ROOT)
    frames, cv_frames, rule_rows = [], [], []
    for env in args.datasets or list(UNSEEN if args.unseen else SUITE):
        table, candidates, wall, shipped = run_dataset(env, args.params)
        cv_frames.append(candidates.assign(dataset=DATASETS[env]))
        if table is None or table.empty:
            raise SystemExit(f"{env}: the selection table is empty (no test labels?).")
        table.insert(0, "dataset", DATASETS[env])
        table["run_wall_seconds"] = round(wall, 1)
        frames.append(table)
        rule_rows.append(shipped)
        rule_rows += [rule_row(env, args.params, rule) for rule in args.rules]
        print(f"{DATASETS[env]}: {wall / 60:.1f} min", flush=True)
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
    if args.rules:
        rules = pd.DataFrame(rule_rows)
        rules.to_csv(RULES_OUTPUT, index=False)
        print("\nSelection rules on the same runs (gap = out-of-fold - test):")
        print(rules.round(4).to_string(index=False))
        means = rules.groupby("rule", sort=False)[["test_macro_f1", "gap"]].mean()
        print(means.round(4).to_string())
    total = sum(f["run_wall_seconds"].iloc[0] for f in frames)
    print(f"\nWall time: {total / 60:.1f} min for {len(frames)} data set(s)")


if __name__ == "__main__":
    main()
