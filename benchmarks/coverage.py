"""Class-conditional coverage of the prediction sets over many calibration draws.

Split conformal prediction guarantees coverage on average over calibration sets; on
one calibration set of n rows of a class, that class's coverage is spread around
the target with a standard deviation of about sqrt(0.1 x 0.9 / n) at 0.9 (about
0.09 with the 11 high_pain rows of the default validation split). This script
measures both on a trained project's test split, which no model saw: it draws
calibration rows of each size at random from the test rows, builds the sets as
inference does (``modeling.calibration.prediction_sets``, class-conditional) and
scores them on the other test rows. Per size and class: mean coverage, its 5th
and 95th percentiles over the draws, and the mean set size.

    kedro run && kedro run --pipeline=inference      # a trained project
    python benchmarks/coverage.py                    # sizes 132, 331, 662; 200 draws
    python benchmarks/coverage.py --env japanese_vowels --sizes 100,200

Then, for a band of coverages (``--band 0.87,0.95``): the share of draws in which
every class landed inside it, and per class the chance that one run lands inside
it even for a method whose coverage is exactly the target in every class (binomial
over that class's test rows), with their product over the classes.

Prints the tables and writes data/08_reporting/coverage_draws.csv.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from scipy.stats import binom

from pirate_pain.modeling.calibration import (
    conformal_scores,
    coverage_table,
    prediction_sets,
)

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "data" / "08_reporting" / "coverage_draws.csv"


def test_rows(env: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The test split's (calibrated) probabilities and labels, through the catalog."""
    bootstrap_project(ROOT)
    with KedroSession.create(project_path=ROOT, env=env) as session:
        catalog = session.load_context().catalog
        probs = catalog.load("test_probabilities")
        labels = catalog.load("raw_test_labels")
    columns = [c for c in probs.columns if c.startswith("p_")]
    names = [c.removeprefix("p_") for c in columns]
    truth = labels.set_index(labels.columns[0])[labels.columns[1]].astype(str)
    y = truth.loc[probs["sample_index"].astype(str)].map(names.index).to_numpy()
    return probs[columns].to_numpy(dtype=np.float64), y, names


def draws(probs, y, names, size: int, n_draws: int, coverage: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for draw in range(n_draws):
        order = rng.permutation(len(y))
        cal, held = order[:size], order[size:]
        calibration = {"conformal": conformal_scores(probs[cal], y[cal])}
        sets = prediction_sets(probs[held], calibration, coverage)
        table = coverage_table(sets, y[held], names)
        counts = np.bincount(y[cal], minlength=len(names))
        for k, name in enumerate(names):
            rows.append(
                {
                    "calibration_rows": size,
                    "draw": draw,
                    "class": name,
                    "class_calibration_rows": int(counts[k]),
                    "coverage": table["per_class"][name],
                    "mean_set_size": table["mean_set_size"],
                }
            )
    return pd.DataFrame(rows)


def band_chances(y, names, coverage: float, band: tuple[float, float]) -> pd.DataFrame:
    """Per class: its test rows and the chance that their coverage lands in
    ``band`` when each row is covered with probability ``coverage`` exactly."""
    rows = []
    for k, name in enumerate(names):
        n = int((y == k).sum())
        low, high = np.ceil(band[0] * n - 1e-9), np.floor(band[1] * n + 1e-9)
        chance = binom.cdf(high, n, coverage) - binom.cdf(low - 1, n, coverage)
        rows.append({"class": name, "test_rows": n, "chance_in_band": chance})
    return pd.DataFrame(rows).set_index("class")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=None)
    parser.add_argument("--sizes", default="132,331,662")
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--coverage", type=float, default=0.9)
    parser.add_argument("--band", default="0.87,0.95")
    args = parser.parse_args()
    band = tuple(float(b) for b in args.band.split(","))
    probs, y, names = test_rows(args.env)
    sizes = [int(s) for s in args.sizes.split(",") if int(s) < len(y)]
    table = pd.concat(
        draws(probs, y, names, size, args.draws, args.coverage) for size in sizes
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUTPUT, index=False)
    summary = table.groupby(["calibration_rows", "class"], sort=False).agg(
        class_rows=("class_calibration_rows", "mean"),
        mean=("coverage", "mean"),
        p05=("coverage", lambda c: c.quantile(0.05)),
        p95=("coverage", lambda c: c.quantile(0.95)),
        set_size=("mean_set_size", "mean"),
    )
    print(f"{len(y)} test rows, target coverage {args.coverage}, {args.draws} draws")
    print(summary.round(3).to_string())
    inside = table["coverage"].between(*band)
    every = inside.groupby([table["calibration_rows"], table["draw"]]).all()
    for size, share in every.groupby(level=0).mean().items():
        print(f"{size} calibration rows: every class in {band} in {share:.1%} of draws")
    chances = band_chances(y, names, args.coverage, band)
    print(f"one run of all {len(y)} test rows, coverage exactly {args.coverage}:")
    print(chances.round(3).to_string())
    print(f"every class in {band}: {chances['chance_in_band'].prod():.4f}")


if __name__ == "__main__":
    main()
