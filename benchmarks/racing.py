"""Fits and wall time of ``select`` with racing off and on, and what it selects.

    python benchmarks/racing.py                            # GunPoint
    python benchmarks/racing.py --envs gun_point,italy_power_demand

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
from fanout_speed import environments, fresh_project, latest, run_select  # noqa: E402 (same folder)


def _select(root: Path, env: str, racing: bool) -> dict:
    seconds = run_select(root, env, f"--params=select.racing={str(racing).lower()}")
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
    for env in environments(__doc__):
        runs = {}
        for racing in (False, True):
            with tempfile.TemporaryDirectory() as folder:
                runs[racing] = _select(fresh_project(folder), env, racing)
        full, raced = runs[False], runs[True]
        print(
            f"{env}: full {full['fits']} fits in {full['seconds'] / 60:.1f} min, "
            f"selected {full['weights']}, test macro F1 {full['test']:.4f}; racing "
            f"{raced['fits']} fits in {raced['seconds'] / 60:.1f} min (dropped after "
            f"fold: {raced['dropped']}), selected {raced['weights']}, test macro F1 "
            f"{raced['test']:.4f}; fits ratio {full['fits'] / max(raced['fits'], 1):.2f}"
        )


if __name__ == "__main__":
    main()
