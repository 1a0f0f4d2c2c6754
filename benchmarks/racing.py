"""Fits and wall time of ``select`` with racing off and on, and what it selects.

    python benchmarks/racing.py                            # GunPoint
    python benchmarks/racing.py --envs gun_point,italy_power_demand
    python benchmarks/racing.py --rule halving --envs japanese_vowels,basic_motions,\
        arrow_head,gun_point,italy_power_demand        # successive halving after fold 1
    python benchmarks/racing.py --rule selection --envs ...  # only the picks after fold 1

Each environment runs in a fresh copy of the project (configuration only) twice, with
the default workers: ``select.racing=false`` and ``select.racing=true``. Prints the
out-of-fold fits of each run (the comparison table's ``fits`` summed), the wall
times, which candidates racing dropped, the chosen ensembles and their test macro F1.
Run nothing else on the machine meanwhile.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
from fanout_speed import command_line, fresh_project, latest, run_select  # noqa: E402 (same folder)

RULES = {  # --rule: the racing run's parameters
    "margin": "select.racing=true",
    "halving": "select.racing=true,select.race_rule=halving,select.race_after=1",
    "selection": "select.racing=true,select.race_rule=selection,select.race_after=1",
}


def _select(root: Path, env: str, params: str) -> dict:
    seconds = run_select(root, env, f"--params={params}")
    table = pd.read_csv(latest(root, "comparison_table.csv"))
    selection = json.loads(latest(root, "ensemble_selection.json").read_text())
    tested = pd.read_csv(latest(root, "selection_table.csv"), dtype={"model": str})
    dropped = {}
    if "dropped_after_fold" in table:
        raced = table[table["dropped_after_fold"].notna()]
        dropped = dict(zip(raced["configuration"], raced["dropped_after_fold"]))
    return {
        "seconds": seconds,
        "fits": int(table["fits"].sum()),
        "dropped": dropped,
        "weights": selection["weights"],
        "test": float(tested.iloc[0]["macro_f1"]) if len(tested) else float("nan"),
    }


def main() -> None:
    args = command_line(__doc__, rules=list(RULES))
    totals, gaps = [0, 0], []
    for env in args.envs.split(","):
        runs = {}
        for racing, params in (
            (False, "select.racing=false"),
            (True, RULES[args.rule]),
        ):
            with tempfile.TemporaryDirectory() as folder:
                runs[racing] = _select(fresh_project(folder), env, params)
        full, raced = runs[False], runs[True]
        totals = [totals[0] + full["fits"], totals[1] + raced["fits"]]
        gaps.append(abs(full["test"] - raced["test"]))
        print(
            f"{env}: full {full['fits']} fits in {full['seconds'] / 60:.1f} min, "
            f"selected {full['weights']}, test macro F1 {full['test']:.4f}; racing "
            f"{raced['fits']} fits in {raced['seconds'] / 60:.1f} min (dropped after "
            f"fold: {raced['dropped']}), selected {raced['weights']}, test macro F1 "
            f"{raced['test']:.4f}; fits ratio {full['fits'] / max(raced['fits'], 1):.2f}",
            flush=True,
        )
    print(
        f"rule {args.rule}: {totals[0]} -> {totals[1]} fits in all (ratio "
        f"{totals[0] / max(totals[1], 1):.2f}); largest test macro F1 change "
        f"{max(gaps):.4f}"
    )


if __name__ == "__main__":
    main()
